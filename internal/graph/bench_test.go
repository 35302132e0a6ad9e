package graph

import (
	"bytes"
	"context"
	"fmt"
	"io"
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

// BenchmarkEncrypt is the upload's one-pass work per byte on one core
// (GOMAXPROCS=1 or -cpu 1): SHA-256 of the plaintext, AES-256-CBC and
// HMAC-SHA256 of the ciphertext, over 8 MiB chunks as the upload reads them.
func BenchmarkEncrypt(b *testing.B) {
	plain := make([]byte, 64<<20)
	buf := make([]byte, DefaultBlockSize+32)
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	for b.Loop() {
		e, err := newEncryptor(bytes.NewReader(plain), int64(len(plain)), DefaultBlockSize)
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := e.next(buf); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkUploadAzurite is UploadContent of 64 MiB to Azurite on loopback
// (plain HTTP) through the Graph stand-in of upload_test.go, by blocks in
// flight: how DefaultParallelism was chosen.
func BenchmarkUploadAzurite(b *testing.B) {
	const size = 64 << 20
	for _, par := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("parallelism=%d", par), func(b *testing.B) {
			g := newContentGraph(b, sharedAzurite(b))
			c := g.client(b)
			b.SetBytes(size)
			for b.Loop() {
				if _, err := c.UploadContent(context.Background(), testAppID, source(size, 1), UploadOptions{Parallelism: par}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
