package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

var testObjectType = tftypes.Object{AttributeTypes: map[string]tftypes.Type{
	"id": tftypes.String, "version": tftypes.Number, "tags": tftypes.Set{ElementType: tftypes.String},
}}

func testState(id, version, tags tftypes.Value) tfsdk.State {
	return tfsdk.State{
		Schema: schema.Schema{Attributes: map[string]schema.Attribute{
			"id":      schema.StringAttribute{Computed: true},
			"version": schema.Int64Attribute{Computed: true},
			"tags":    schema.SetAttribute{Computed: true, ElementType: types.StringType},
		}},
		Raw: tftypes.NewValue(testObjectType, map[string]tftypes.Value{"id": id, "version": version, "tags": tags}),
	}
}

func TestCreatedOrNothing(t *testing.T) {
	ctx := context.Background()
	known := tftypes.NewValue(tftypes.String, "x")
	tags := tftypes.NewValue(tftypes.Set{ElementType: tftypes.String}, nil)

	failed := &resource.CreateResponse{State: testState(known, tftypes.NewValue(tftypes.Number, 1), tags)}
	failed.Diagnostics.AddError("Unable to assign", "boom")
	createdOrNothing(ctx, failed)
	if !failed.State.Raw.IsNull() {
		t.Errorf("a failed Create keeps its state: %v", failed.State.Raw)
	}

	warned := &resource.CreateResponse{State: testState(known, tftypes.NewValue(tftypes.Number, 1), tags)}
	warned.Diagnostics.AddWarning("Careful", "")
	createdOrNothing(ctx, warned)
	if warned.State.Raw.IsNull() {
		t.Error("a Create with only warnings lost its state")
	}
}

func TestRecordedDespite(t *testing.T) {
	var diags diag.Diagnostics
	diags.AddError("Unable to read the version", "Graph said no")
	diags.AddAttributeError(path.Root("role_scope_tag_ids"), "Unexpected scope tags", "three of them")
	diags.AddWarning("Expiring profile", "renew it")
	got := recordedDespite(diags, "Provisioning configuration c1")
	if got.HasError() || len(got) != 3 {
		t.Fatalf("recordedDespite = %v, want 3 warnings", got)
	}
	for _, d := range got[:2] {
		if !strings.Contains(d.Detail(), "Provisioning configuration c1 was created and is recorded in the state") ||
			!strings.Contains(d.Detail(), "The next plan refreshes it") || !strings.Contains(d.Detail(), d.Summary()) {
			t.Errorf("warning %q: %q does not say what was recorded and what was not confirmed", d.Summary(), d.Detail())
		}
	}
	if p := attributePath(got[1]); p == nil || !p.Equal(path.Root("role_scope_tag_ids")) {
		t.Errorf("the attribute warning lost its path: %v", p)
	}
	if got[2].Summary() != "Expiring profile" || got[2].Detail() != "renew it" {
		t.Errorf("a warning was changed: %v", got[2])
	}
}

func TestWithoutUnknowns(t *testing.T) {
	state := testState(tftypes.NewValue(tftypes.String, "c1"), tftypes.NewValue(tftypes.Number, tftypes.UnknownValue),
		tftypes.NewValue(tftypes.Set{ElementType: tftypes.String}, tftypes.UnknownValue))
	if diags := withoutUnknowns(&state); diags.HasError() {
		t.Fatal(diags)
	}
	if !state.Raw.IsFullyKnown() {
		t.Fatalf("still unknown: %v", state.Raw)
	}
	want := tftypes.NewValue(testObjectType, map[string]tftypes.Value{
		"id":      tftypes.NewValue(tftypes.String, "c1"),
		"version": tftypes.NewValue(tftypes.Number, nil),
		"tags":    tftypes.NewValue(tftypes.Set{ElementType: tftypes.String}, nil),
	})
	if !state.Raw.Equal(want) {
		t.Errorf("state %v, want %v", state.Raw, want)
	}
}

// After a throttled wait, the advice names a timeout that reaches Graph's
// next attempt: twice the timeout when that is enough, else at least the
// timeout plus the Retry-After Graph asked for (issue 23).
func TestTimeoutAdviceCoversRetryAfter(t *testing.T) {
	throttled := func(retryAfter time.Duration) error {
		return fmt.Errorf("assign: %w", &graph.TimeoutError{Waiting: "Graph to stop throttling POST /assign", RetryAfter: retryAfter, Err: context.DeadlineExceeded})
	}
	cases := []struct {
		name    string
		err     error
		op      operation
		want    []string
		notWant string
	}{
		{"Retry-After past twice the timeout", throttled(time.Minute), operation{opCreate, 5 * time.Second},
			[]string{"The create timeout (5s) ran out", "a wait of 1m (Retry-After)", "Twice the timeout would not reach", "at least 1m5s", `create = "2m"`}, `"10s"`},
		{"Retry-After of minutes on a read", throttled(4 * time.Minute), operation{opRead, time.Minute},
			[]string{"The read timeout (1m) ran out", "a wait of 4m (Retry-After)", "at least 5m", `read = "6m"`}, `"2m"`},
		{"Retry-After within twice the timeout", throttled(2 * time.Second), operation{opCreate, 5 * time.Second},
			[]string{"The create timeout (5s) ran out.", `create = "10s"`}, "Retry-After"},
		{"a slow answer", &graph.TimeoutError{Waiting: "Graph to answer GET", Err: context.DeadlineExceeded}, operation{opUpdate, 10 * time.Minute},
			[]string{"The update timeout (10m) ran out.", `update = "20m"`}, "Retry-After"},
		{"a context that ran out", context.DeadlineExceeded, operation{opDelete, 10 * time.Minute},
			[]string{`delete = "20m"`}, "Retry-After"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := errorAdvice(c.err, graphCall{action: "assign", op: c.op})
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("advice lacks %q:\n%s", w, got)
				}
			}
			if strings.Contains(got, c.notWant) {
				t.Errorf("advice has %q:\n%s", c.notWant, got)
			}
		})
	}
}
