package graph

import (
	"context"
	"testing"
)

// Benchmarks of the client's hot paths against the in-process emulator
// (no latency: they measure the client's own cost, TLS and JSON included).
// `make bench` runs them.

func benchAssignments() Assignments {
	return Assignments{
		Groups: []GroupAssignment{{TargetGroupID: emuGroupA}, {TargetGroupID: emuGroupB}},
		Targets: []TargetAssignment{
			{Target: Target{ODataType: TargetGroup, GroupID: emuGroupA, FilterID: emuGroupB, FilterType: FilterTypeInclude}},
			{Target: Target{ODataType: TargetExclusionGroup, GroupID: emuGroupB}},
			{Target: Target{ODataType: TargetAllDevices}},
			{Target: Target{ODataType: TargetConfigurationManagerCollection, CollectionID: "SMS00001"}},
		},
	}
}

func BenchmarkGetAssignments(b *testing.B) {
	c, _ := newEmulatorClient(b, Options{RequestsPerWindow: 1 << 30}) // measure the client, not the request budget
	ctx := context.Background()
	if err := c.Assign(ctx, emuConfigID, benchAssignments()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.GetAssignments(ctx, emuConfigID); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAssign(b *testing.B) {
	c, _ := newEmulatorClient(b, Options{WritesPerWindow: 1 << 30, RequestsPerWindow: 1 << 30}) // measure the client, not the limiter
	ctx := context.Background()
	a := benchAssignments()
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Assign(ctx, emuConfigID, a); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSameSet(b *testing.B) {
	x, y := benchAssignments(), benchAssignments()
	b.ReportAllocs()
	for b.Loop() {
		if !x.SameSet(y) {
			b.Fatal("differ")
		}
	}
}
