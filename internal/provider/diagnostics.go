package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	dstimeouts "github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

// How every resource and data source turns a Graph error into a diagnostic,
// and the operation (with its timeout) each call runs in.

const (
	defaultWriteTimeout = 10 * time.Minute
	defaultReadTimeout  = 5 * time.Minute
)

// operation names the Terraform operation a call belongs to and its
// timeout, so that errors can point at the right `timeouts` attribute.
type operation struct {
	name    string // create, read, update or delete
	timeout time.Duration
}

// Operation names, as the `timeouts` block spells them.
const (
	opCreate = "create"
	opRead   = "read"
	opUpdate = "update"
	opDelete = "delete"
)

// resourceTimeouts is the `timeouts` block of a resource (every operation).
type resourceTimeouts struct {
	Timeouts timeouts.Value `tfsdk:"timeouts"`
}

func (t resourceTimeouts) timeoutFor(ctx context.Context, name string) (time.Duration, diag.Diagnostics) {
	return operationTimeout(ctx, t.Timeouts, name, defaultWriteTimeout)
}

// operationTimeout is the timeout of operation name from a resource's
// `timeouts` block: writeDefault for create and update when it is left out.
func operationTimeout(ctx context.Context, t timeouts.Value, name string, writeDefault time.Duration) (time.Duration, diag.Diagnostics) {
	switch name {
	case opCreate:
		return t.Create(ctx, writeDefault)
	case opUpdate:
		return t.Update(ctx, writeDefault)
	case opDelete:
		return t.Delete(ctx, defaultWriteTimeout)
	default:
		return t.Read(ctx, defaultReadTimeout)
	}
}

// dataSourceTimeouts is the `timeouts` block of a data source (read only).
type dataSourceTimeouts struct {
	Timeouts dstimeouts.Value `tfsdk:"timeouts"`
}

func (t dataSourceTimeouts) timeoutFor(ctx context.Context, _ string) (time.Duration, diag.Diagnostics) {
	return t.Timeouts.Read(ctx, defaultReadTimeout)
}

// timedModel is a model with a `timeouts` block (it embeds resourceTimeouts
// or dataSourceTimeouts).
type timedModel interface {
	timeoutFor(ctx context.Context, name string) (time.Duration, diag.Diagnostics)
}

// modelSource is a request's plan, state or config.
type modelSource interface {
	Get(ctx context.Context, target any) diag.Diagnostics
}

// within is how every CRUD method and data source read runs: it reads the
// model M from src (the plan, state or config), bounds ctx by the
// operation's timeout from the model's `timeouts` block, and runs body with
// both, unless reading them failed.
func within[M timedModel](ctx context.Context, src modelSource, name string, diags *diag.Diagnostics, body func(context.Context, M, operation)) {
	var m M
	diags.Append(src.Get(ctx, &m)...)
	if diags.HasError() {
		return
	}
	timeout, d := m.timeoutFor(ctx, name)
	diags.Append(d...)
	if diags.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	body(ctx, m, operation{name: name, timeout: timeout})
}

// withinUpdate is within for an Update: body has the prior state as well
// as the plan.
func withinUpdate[M timedModel](ctx context.Context, req resource.UpdateRequest, diags *diag.Diagnostics, body func(ctx context.Context, plan, state M, op operation)) {
	within(ctx, req.Plan, opUpdate, diags, func(ctx context.Context, plan M, op operation) {
		var state M
		diags.Append(req.State.Get(ctx, &state)...)
		if diags.HasError() {
			return
		}
		body(ctx, plan, state, op)
	})
}

// plannedChange is what a ModifyPlan reads: the plan; the prior state,
// nil on create; and the value in the configuration of the attribute the
// plan fills when it is left out, which tells "left out" (null) from what
// the plan computed. It reports false on destroy (a null plan) and when
// reading failed.
func plannedChange[M, C any](ctx context.Context, req resource.ModifyPlanRequest, attribute string, diags *diag.Diagnostics) (plan M, state *M, configured C, ok bool) {
	if req.Plan.Raw.IsNull() {
		return plan, nil, configured, false
	}
	diags.Append(req.Plan.Get(ctx, &plan)...)
	if !req.State.Raw.IsNull() {
		state = new(M)
		diags.Append(req.State.Get(ctx, state)...)
	}
	diags.Append(req.Config.GetAttribute(ctx, path.Root(attribute), &configured)...)
	return plan, state, configured, !diags.HasError()
}

// A Create either succeeds with a whole state or fails with none.
//
// Terraform 1.16.4 panics while saving the state when a Create returns
// errors together with a non-null state: it gives the new object the prior
// state's status, which for a create is the zero value, and the state file
// cannot hold ObjectStatus(0). Every resource in flight is then lost from
// the state (issue 20). So no Create hands Terraform a partial state: one
// that failed before Graph made anything returns no state (a resource whose
// write may have gone through adopts it on the next apply), and once Graph
// has made an object with an id of its own, the Create records it and turns
// what it could not confirm into warnings (recordedDespite).

// createdOrNothing removes the state from a Create that failed. Every Create
// defers it first, so that no path, present or future, returns errors
// with a state.
func createdOrNothing(ctx context.Context, resp *resource.CreateResponse) {
	if resp.Diagnostics.HasError() {
		resp.State.RemoveResource(ctx)
	}
}

// recordedDespite turns diags into warnings, for a Create that must succeed
// because Graph has already made the object it records: what failed is
// said as not confirmed, and the next plan's refresh reads the truth.
func recordedDespite(diags diag.Diagnostics, what string) diag.Diagnostics {
	var out diag.Diagnostics
	for _, d := range diags {
		if d.Severity() != diag.SeverityError {
			out.Append(d)
			continue
		}
		detail := fmt.Sprintf("%s was created and is recorded in the state, but this could not be confirmed: %s. "+
			"The next plan refreshes it from Graph.\n\n%s", what, d.Summary(), d.Detail())
		if p := attributePath(d); p != nil {
			out.AddAttributeWarning(*p, d.Summary(), detail)
		} else {
			out.AddWarning(d.Summary(), detail)
		}
	}
	return out
}

// withoutUnknowns makes every value the state still holds as unknown null,
// for a Create that records what it could: Terraform refuses unknown values
// after apply with an error, which would come with the state.
func withoutUnknowns(state *tfsdk.State) diag.Diagnostics {
	var diags diag.Diagnostics
	raw, err := tftypes.Transform(state.Raw, func(_ *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
		if !v.IsKnown() {
			return tftypes.NewValue(v.Type(), nil), nil
		}
		return v, nil
	})
	if err != nil {
		diags.AddError("Unable to record the state", "Could not replace the unknown values of the state with null: "+err.Error())
		return diags
	}
	state.Raw = raw
	return diags
}

// attributePath is the attribute a diagnostic is about, nil if none.
func attributePath(d diag.Diagnostic) *path.Path {
	if wp, ok := d.(diag.DiagnosticWithPath); ok {
		p := wp.Path()
		return &p
	}
	return nil
}

// readAnswered is how a resource's Read takes the error of its get, and
// whether the Read goes on: on a 404, someone deleted the object outside
// Terraform, so the state forgets it and the next plan creates it again;
// any other error is reported as summary, about call.
func readAnswered(ctx context.Context, err error, resp *resource.ReadResponse, summary string, call graphCall) bool {
	switch {
	case err == nil:
		return true
	case graph.IsNotFound(err):
		resp.State.RemoveResource(ctx)
	default:
		resp.Diagnostics.AddError(summary, errorDetail(err, call))
	}
	return false
}

// graphCall describes a failed Graph call for errorDetail.
type graphCall struct {
	action string // what it did: "create the provisioning configuration", "assign configuration <id>"
	op     operation
	// idAttribute is the attribute the configuration id came from, named
	// when Graph does not know the id (404).
	idAttribute string
	// sent names the attributes the request body was made of, named when
	// Graph refuses the body (400).
	sent string
	// notFound says what a 404 means; empty, that no provisioning
	// configuration has the id.
	notFound string
}

// Attribute lists for graphCall.sent.
const (
	configurationAttributesSent = "display_name, description, payload_file_name, payload, expiration_date_time and role_scope_tag_ids"
	assignmentAttributesSent    = "the group and target blocks"
)

// errorDetail says what happened and what to do about it, the same way for
// every resource and data source. It keeps Graph's message with the
// request-id and client-request-id that Microsoft support asks for; it never
// quotes a request body, which can hold a whole profile.
func errorDetail(err error, c graphCall) string {
	detail := fmt.Sprintf("Could not %s: %s", c.action, err)
	if advice := errorAdvice(err, c); advice != "" {
		detail += "\n\n" + advice
	}
	return detail
}

func errorAdvice(err error, c graphCall) string {
	var ge *graph.Error
	if !errors.As(err, &ge) {
		ge = &graph.Error{}
	}
	switch {
	case ge.StatusCode == http.StatusBadRequest:
		if c.sent == "" {
			return "Graph refused the request as invalid; the message above says why."
		}
		return "Graph refused the request as invalid. Check " + c.sent + " against the message above."
	case ge.StatusCode == http.StatusUnauthorized:
		return "Graph did not accept the access token, even a newly issued one. Check that tenant_id is the tenant the application " +
			"is registered in, that its credential (client secret, certificate or federated credential) is current, and that " +
			"environment or the endpoint block names the cloud that tenant lives in. Quote the request-id above to Microsoft support if it persists."
	case ge.StatusCode == http.StatusForbidden:
		return "The identity signed in but may not do this. Grant the application the Microsoft Graph application permission " +
			"DeviceManagementApps.ReadWrite.All and have an administrator consent to it (for a delegated sign-in, the user also needs an " +
			"Intune role that can assign apps). New permissions can take a few minutes to reach Graph."
	case ge.StatusCode == http.StatusNotFound:
		advice := "No iOS LOB app provisioning configuration has this id in the tenant."
		if c.notFound != "" {
			advice = c.notFound
		}
		if c.idAttribute != "" {
			advice += " Check " + c.idAttribute + "."
		}
		return advice
	case ge.StatusCode == http.StatusTooManyRequests:
		return "Graph went on throttling (HTTP 429) through every retry. Intune's limits are per tenant and per application, and other " +
			"tools writing with the same application count too: apply again later, or give this provider a smaller share with writes_per_window in the provider block."
	case errors.Is(err, context.DeadlineExceeded): // *graph.TimeoutError unwraps to it, and says what it waited for
		if c.op.name == "" || c.op.timeout <= 0 {
			return "The operation ran out of time. If Graph is throttling or slow, allow more time in the timeouts block."
		}
		return timeoutAdvice(err, c.op)
	}
	return ""
}

// timeoutAdvice says how much time would do: twice the timeout, unless
// Graph asked for a longer wait than that leaves (Retry-After). The last
// answer came before the deadline, so the timeout plus that wait reaches
// the next attempt, and nothing shorter does.
func timeoutAdvice(err error, op operation) string {
	block := func(d time.Duration) string {
		return fmt.Sprintf("\n\n  timeouts {\n    %s = \"%s\"\n  }", op.name, shortDuration(d))
	}
	var te *graph.TimeoutError
	if errors.As(err, &te) && te.RetryAfter > op.timeout {
		atLeast := op.timeout + te.RetryAfter
		return fmt.Sprintf("The %s timeout (%s) ran out while Graph asked for a wait of %s (Retry-After) before the next attempt. "+
			"Twice the timeout would not reach that attempt: allow at least %s in the timeouts block, for example:%s",
			op.name, shortDuration(op.timeout), shortDuration(te.RetryAfter), shortDuration(atLeast), block(atLeast.Truncate(time.Minute)+time.Minute))
	}
	return fmt.Sprintf("The %s timeout (%s) ran out. If Graph is throttling or slow, or a large apply queues many writes, "+
		"allow more time in the timeouts block:%s", op.name, shortDuration(op.timeout), block(2*op.timeout))
}

// listConfigurations is the action of a list call, for graphCall.
const listConfigurations = "list the provisioning configurations"

// configurationNoun names the configuration a call was about ("" for a new
// one or the collection).
func configurationNoun(id string) string {
	if id == "" {
		return "the provisioning configuration"
	}
	return "provisioning configuration " + id
}

// shortDuration writes d the way users write timeouts: 10m rather than 10m0s.
func shortDuration(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// addUnsupportedAssignments reports, under summary, the assignments Graph
// holds that this provider cannot represent: what says whose they are, and
// unknown (in any order, repeats allowed) names them. A refresh stops on
// them rather than drop them, since managing the set would remove them.
func addUnsupportedAssignments(diags *diag.Diagnostics, summary, what string, unknown []string) {
	if len(unknown) == 0 {
		return
	}
	unknown = slices.Compact(slices.Sorted(slices.Values(unknown)))
	diags.AddError(summary, what+": "+strings.Join(unknown, ", ")+". "+
		"Managing it would remove them on the next apply, so the provider stops instead. "+
		"Upgrade the provider, or remove those assignments in the Intune portal.")
}
