package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

// The assignment engine: what every resource that owns the whole assignment
// set of one Intune object does, whatever the object. Graph's assign
// replaces the set, so the engine reads before it writes, adopts an
// identical set, refuses any other with the import that adopts it, keeps two
// resources from owning one object, reads back until Graph shows what was
// written, and stops the refresh on a target it does not know. A resource
// is its schema plus an assignedEntity: the Graph routes, the body and the
// model mapping of its object (ARCHITECTURE.md, "Assignments").

// assignedEntity describes one kind of assigned object to the engine. S is
// the set Graph's assign replaces; M the resource's model.
type assignedEntity[S graph.AssignmentSet, M assignmentModelOf[M]] struct {
	typeName    string // the resource type, "intune_ios_lob_provisioning_assignment"
	schema      func(ctx context.Context) schema.Schema
	identity    string // the identity's description
	title       string // in summaries: "Unable to assign provisioning configuration"
	noun        string // in details: "configuration 1234"
	idAttribute string // the attribute holding the object's id, also its identity
	blocks      string // the blocks that make the set, for advice
	notFound    string // what a 404 means

	// read and write are the Graph client's methods, as method expressions.
	read   func(c *graph.Client, ctx context.Context, id string) (*S, error)
	write  func(c *graph.Client, ctx context.Context, id string, set S) error
	expand func(ctx context.Context, m M) (S, diag.Diagnostics)
	// planned, if set, is the plan made from the config, for what the
	// framework cannot plan itself.
	planned func(m M, ctx context.Context, config M) (M, diag.Diagnostics)
	// flatten is m holding what Graph holds, as a method expression.
	flatten func(m M, ctx context.Context, held *S) (M, diag.Diagnostics)
	// validate checks what spans attributes or blocks, at plan time.
	validate func(ctx context.Context, m M) diag.Diagnostics
	// describe says briefly what a set holds; count how many of each kind.
	describe func(S) string
	count    func(S) string
	// refuse says why held may not be assigned now ("" when it may).
	refuse func(held *S) string
}

// assignmentModelOf is what the engine needs of a model.
type assignmentModelOf[M any] interface {
	timedModel
	objectID() guidValue
	// resourceID is the `id` attribute: the object id as first recorded.
	resourceID() types.String
	// withObjectID is the model with its id and object id attribute set.
	withObjectID(id string) M
	// listed is the model of a listed object's resource: its id, no
	// timeouts, the sets to be filled.
	listed(id string) M
	// sets are the blocks that make the assignment set.
	sets() []attr.Value
}

// Capitalised noun, for summaries: "Configuration already has assignments".
func (e *assignedEntity[S, M]) Noun() string {
	return strings.ToUpper(e.noun[:1]) + e.noun[1:]
}

func (e *assignedEntity[S, M]) call(action string, op operation) graphCall {
	return graphCall{action: action, op: op, idAttribute: e.idAttribute, notFound: e.notFound}
}

func empty(s graph.AssignmentSet) bool {
	for _, c := range s.Collections() {
		if len(c) > 0 {
			return false
		}
	}
	return true
}

// assignmentResource is the engine as a resource: every assignment
// resource is one, made by newAssignmentResource from its entity.
type assignmentResource[S graph.AssignmentSet, M assignmentModelOf[M]] struct {
	configuredResource
	entity *assignedEntity[S, M]
}

var _ interface {
	resource.ResourceWithConfigure
	resource.ResourceWithImportState
	resource.ResourceWithValidateConfig
	resource.ResourceWithModifyPlan
	resource.ResourceWithIdentity
} = &assignmentResource[graph.Assignments, assignmentModel]{}

// newAssignmentResource is the factory of entity's resource.
func newAssignmentResource[S graph.AssignmentSet, M assignmentModelOf[M]](entity *assignedEntity[S, M]) func() resource.Resource {
	return func() resource.Resource { return &assignmentResource[S, M]{entity: entity} }
}

func (r *assignmentResource[S, M]) Metadata(_ context.Context, _ resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = r.entity.typeName
}

func (r *assignmentResource[S, M]) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = r.entity.schema(ctx)
}

// IdentitySchema: the object id, under the attribute that holds it (identity.go).
func (r *assignmentResource[S, M]) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = idIdentitySchema(r.entity.idAttribute, r.entity.identity)
}

func (r *assignmentResource[S, M]) idPath() path.Path { return path.Root(r.entity.idAttribute) }

// Create looks before it writes, since assign replaces whatever the object
// holds: an empty object is assigned; one that holds exactly the plan (an
// earlier apply that was interrupted before Terraform saved its state) is
// adopted without a write; anything else is refused, with the import that
// brings it under Terraform.
func (r *assignmentResource[S, M]) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	defer createdOrNothing(ctx, resp)
	e := r.entity
	within(ctx, req.Plan, opCreate, &resp.Diagnostics, func(ctx context.Context, plan M, op operation) {
		id := plan.objectID().ValueString()
		plan = plan.withObjectID(id)
		want, diags := e.expand(ctx, plan)
		resp.Diagnostics.Append(diags...)
		if resp.Diagnostics.HasError() || !r.mayWrite(id, &resp.Diagnostics) {
			return
		}
		resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, e.idAttribute, id)...)
		held, err := e.read(r.client, ctx, id)
		if err != nil {
			resp.Diagnostics.AddAttributeError(r.idPath(), "Unable to read "+e.title+" assignments",
				errorDetail(err, e.call("read the assignments of "+e.noun+" "+id+" before assigning it", op)))
			return
		}
		switch {
		case graph.SameCollections(*held, want):
			tflog.Info(ctx, "The "+e.noun+" already holds the planned assignments; adopting them without a write", map[string]any{e.idAttribute: id})
			resp.Diagnostics.Append(r.setConfirmed(ctx, &resp.State, plan, held)...)
			return
		case !empty(*held):
			resp.Diagnostics.AddAttributeError(r.idPath(), e.Noun()+" already has assignments", r.adoptDetail(id, *held))
			return
		}
		if why := e.refuse(held); why != "" {
			resp.Diagnostics.AddAttributeError(r.idPath(), "Unable to assign "+e.title, why)
			return
		}
		state, written, diags := r.apply(ctx, plan, *held, op)
		switch {
		case state != nil:
			resp.Diagnostics.Append(diags...)
			resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
		case written:
			// The assign went through but could not be confirmed: no state
			// (createdOrNothing). The next apply's Create reads first and
			// adopts the identical set without a write, as after an apply cut
			// short; a set someone else wrote in between is refused with the
			// import that adopts it. Nothing is lost.
			resp.Diagnostics.Append(r.adoptedNextTime(diags, id)...)
		default:
			resp.Diagnostics.Append(diags...)
		}
	})
}

func (r *assignmentResource[S, M]) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	e := r.entity
	within(ctx, req.State, opRead, &resp.Diagnostics, func(ctx context.Context, state M, op operation) {
		id := state.resourceID().ValueString()
		// First, so that a state written before identities (or an object
		// deleted outside Terraform) still answers with one, as Terraform requires.
		resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, e.idAttribute, id)...)
		current, err := e.read(r.client, ctx, id)
		if !readAnswered(ctx, err, resp, "Unable to read "+e.title+" assignments", e.call("read the assignments of "+e.noun+" "+id, op)) {
			return
		}
		state, diags := e.flatten(state.withObjectID(id), ctx, current)
		resp.Diagnostics.Append(diags...)
		if resp.Diagnostics.HasError() {
			return
		}
		resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	})
}

func (r *assignmentResource[S, M]) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	e := r.entity
	withinUpdate(ctx, req, &resp.Diagnostics, func(ctx context.Context, plan, prior M, op operation) {
		want, diags := e.expand(ctx, plan)
		resp.Diagnostics.Append(diags...)
		before, diags := e.expand(ctx, prior)
		resp.Diagnostics.Append(diags...)
		id := plan.objectID().ValueString()
		if resp.Diagnostics.HasError() || !r.mayWrite(id, &resp.Diagnostics) {
			return
		}
		resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, e.idAttribute, id)...)
		if graph.SameCollections(want, before) {
			// Only spelling changed (the case of a GUID) or the timeouts:
			// Graph holds the plan already, and the state takes its spelling.
			resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
			return
		}
		// On error the prior state stays, and the next refresh shows Graph's truth.
		state, _, diags := r.apply(ctx, plan, before, op)
		resp.Diagnostics.Append(diags...)
		if state != nil {
			resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
		}
	})
}

func (r *assignmentResource[S, M]) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	e := r.entity
	within(ctx, req.State, opDelete, &resp.Diagnostics, func(ctx context.Context, state M, op operation) {
		// One assign and no read-back: the state is removed either way, and the
		// next read of this object, by whoever, sees Graph's truth.
		id := state.resourceID().ValueString()
		var none S
		err := e.write(r.client, ctx, id, none)
		if err != nil && !graph.IsNotFound(err) { // a deleted object has no assignments left to remove
			resp.Diagnostics.AddError("Unable to remove "+e.title+" assignments", errorDetail(err, e.call("remove the assignments of "+e.noun+" "+id, op)))
		}
	})
}

// ImportState takes the object's id, by id or by identity; the read that
// follows fills the sets.
func (r *assignmentResource[S, M]) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if id, ok := importByID(ctx, req, resp, r.entity.idAttribute); ok {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, r.idPath(), newGUIDValue(id))...)
	}
}

// ModifyPlan refuses, at plan time, two instances that manage the same
// object with different sets: each apply would replace the other's.
func (r *assignmentResource[S, M]) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() { // destroyed
		return
	}
	var plan M
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if r.entity.planned != nil && !resp.Diagnostics.HasError() {
		var config M
		resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
		if resp.Diagnostics.HasError() {
			return
		}
		var diags diag.Diagnostics
		plan, diags = r.entity.planned(plan, ctx, config)
		resp.Diagnostics.Append(diags...)
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
	}
	if resp.Diagnostics.HasError() || r.owners == nil || !fullyKnown(ctx, plan.objectID()) { // owners: nil until configured
		return
	}
	for _, s := range plan.sets() {
		if !fullyKnown(ctx, s) {
			return // Create and Update check again before they write
		}
	}
	want, diags := r.entity.expand(ctx, plan)
	if diags.HasError() {
		return // ValidateConfig reports it
	}
	if id := plan.objectID().ValueString(); !r.owners.plan(r.entity.typeName, id, want) {
		resp.Diagnostics.AddAttributeError(r.idPath(), r.entity.Noun()+" managed by two resources", r.twoOwnersDetail(id))
	}
}

// ValidateConfig refuses, at plan time, what Graph would refuse at apply
// time or what would silently mean something else.
func (r *assignmentResource[S, M]) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var cfg M
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(r.entity.validate(ctx, cfg)...)
}

// mayWrite claims the object for this instance's write; a second instance
// writing the same object in this apply is an error before it writes.
func (r *assignmentResource[S, M]) mayWrite(id string, diags *diag.Diagnostics) bool {
	if r.owners.write(r.entity.typeName, id) {
		return true
	}
	diags.AddAttributeError(r.idPath(), r.entity.Noun()+" managed by two resources", r.twoOwnersDetail(id)+
		" Nothing was written by this one.")
	return false
}

// apply posts the planned set, replacing before (what the object held),
// then waits until Graph's reads show it, so that the state it returns is
// what Graph holds and the next plan is empty. It returns a nil state when
// it cannot confirm one, and whether the assign went through.
func (r *assignmentResource[S, M]) apply(ctx context.Context, plan M, before S, op operation) (state *M, written bool, diags diag.Diagnostics) {
	e := r.entity
	want, diags := e.expand(ctx, plan)
	if diags.HasError() {
		return nil, false, diags
	}
	id := plan.objectID().ValueString()
	if err := e.write(r.client, ctx, id, want); err != nil {
		c := e.call("assign "+e.noun+" "+id, op)
		c.sent = "the " + e.blocks
		diags.AddError("Unable to assign "+e.title, errorDetail(err, c))
		return nil, false, diags
	}
	got, err := r.readBack(ctx, id, want, before)
	var foreign *foreignWriteError
	switch {
	case errors.As(err, &foreign):
		diags.AddAttributeError(r.idPath(), e.Noun()+" changed by someone else", foreign.Error())
		return nil, true, diags
	case err != nil:
		diags.AddError("Unable to confirm the new assignments", errorDetail(err, e.call("read back the assignments just written to "+e.noun+" "+id, op)))
		return nil, true, diags
	}
	s, d := e.flatten(plan, ctx, got)
	diags.Append(d...)
	if diags.HasError() {
		return nil, true, diags
	}
	return &s, true, diags
}

// adoptedNextTime adds to the errors of a Create whose assign went through
// unconfirmed that the next apply adopts what was written.
func (r *assignmentResource[S, M]) adoptedNextTime(diags diag.Diagnostics, id string) diag.Diagnostics {
	var out diag.Diagnostics
	for _, d := range diags {
		if d.Severity() != diag.SeverityError {
			out.Append(d)
			continue
		}
		detail := d.Detail() + "\n\nGraph accepted the assign to " + r.entity.noun + " " + id + ", so Terraform does not record the resource " +
			"yet: the next apply reads the " + r.entity.noun + " first and adopts the set written, without writing it again " +
			"(any other set it refuses, with the import that adopts it)."
		if p := attributePath(d); p != nil {
			out.AddAttributeError(*p, d.Summary(), detail)
		} else {
			out.AddError(d.Summary(), detail)
		}
	}
	return out
}

// setConfirmed records plan with the sets Graph holds. GUIDs Graph returns
// in lower case keep the configuration's spelling through guidValue's
// semantic equality.
func (r *assignmentResource[S, M]) setConfirmed(ctx context.Context, state *tfsdk.State, plan M, held *S) diag.Diagnostics {
	m, diags := r.entity.flatten(plan, ctx, held)
	if diags.HasError() {
		return diags
	}
	diags.Append(state.Set(ctx, &m)...)
	return diags
}

// twoOwnersDetail is the error for two instances on one object.
func (r *assignmentResource[S, M]) twoOwnersDetail(id string) string {
	e := r.entity
	return fmt.Sprintf("Two %[1]s resources manage %[2]s %[3]s (GUIDs compare without regard to case). "+
		"Each owns the %[2]s's whole assignment set, so each apply would replace what the other wrote. "+
		"Manage each %[2]s with one resource: merge the %[4]s of both into one of them and remove the other.", e.typeName, e.noun, id, e.blocks)
}

// adoptDetail is Create's error for an object that already holds
// assignments other than the planned ones: nothing is written, and it says
// how to bring them under Terraform so that a plan shows what would change.
func (r *assignmentResource[S, M]) adoptDetail(id string, held S) string {
	e := r.entity
	return fmt.Sprintf("%[3]s %[1]s already has assignments that this resource does not plan: %[2]s.\n\n"+
		"Creating the resource would replace them (Graph's assign replaces the whole set), so nothing was written. "+
		"To manage them with Terraform, import the %[4]s's assignments first; the next plan then shows, line by line, "+
		"what would change:\n\n"+
		"  import {\n    to = %[5]s.<name>\n    id = %[1]q\n  }\n\n"+
		"or: terraform import %[5]s.<name> %[1]s\n\n"+
		"where <name> is this resource's name (shown with this error). To keep them, add them to the resource's %[6]s.",
		id, e.describe(held), e.Noun(), e.noun, e.typeName, e.blocks)
}

// foreignWriteError: a read-back found a set that is neither what the
// object held before the assign nor what was just written.
type foreignWriteError struct {
	noun, id            string
	before, wrote, seen string // described
}

func (e *foreignWriteError) Error() string {
	return fmt.Sprintf("%s %s was changed by someone else while Terraform was assigning it: Graph now holds %s, "+
		"which is neither what it held before (%s) nor what Terraform just wrote (%s). Another tool, pipeline or an admin in the "+
		"Intune portal is editing its assignments. Terraform wrote nothing more; run terraform plan to see the difference, and "+
		"agree on one owner for this %s.",
		strings.ToUpper(e.noun[:1])+e.noun[1:], e.id, e.seen, e.before, e.wrote, e.noun)
}

// Read-back polling: the first read goes out at once (normally it already
// shows the write), later ones back off up to readBackMaxDelay.
const (
	readBackFirstDelay = 500 * time.Millisecond
	readBackMaxDelay   = 10 * time.Second
)

// readBack reads the object's assignments until they are want. Intune's
// reads can lag behind an assign it has accepted, showing before for a
// while, and collections are read apart, so one may show the new set while
// another still shows the old; a collection that shows neither means
// another writer, and ends the wait at once with a *foreignWriteError. It
// stops when ctx ends, saying what it was waiting for.
func (r *assignmentResource[S, M]) readBack(ctx context.Context, id string, want, before S) (*S, error) {
	e := r.entity
	delay := readBackFirstDelay
	var lagging *S // what the last read showed instead of want
	for reads := 1; ; reads++ {
		got, err := e.read(r.client, ctx, id)
		if err != nil {
			if lagging != nil && ctx.Err() != nil {
				// The time ran out while reading once more: what the
				// provider waited for is the lag the earlier reads showed.
				return nil, r.readBackTimeout(reads-1, *lagging, want, ctx.Err())
			}
			return nil, err
		}
		if graph.SameCollections(*got, want) {
			return got, nil
		}
		if !eachCollectionIsOneOf(*got, before, want) {
			return nil, &foreignWriteError{noun: e.noun, id: id, before: e.describe(before), wrote: e.describe(want), seen: e.describe(*got)}
		}
		lagging = got
		tflog.Debug(ctx, "Graph's reads do not show the assignments just written yet; reading again", map[string]any{
			e.idAttribute: id, "reads": reads, "next_read_in": delay.String(),
		})
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, r.readBackTimeout(reads, *got, want, ctx.Err())
		case <-timer.C:
		}
		delay = min(2*delay, readBackMaxDelay)
	}
}

// readBackTimeout says that reads still lagged behind an assign when the
// operation's time ran out.
func (r *assignmentResource[S, M]) readBackTimeout(reads int, got, want S, err error) error {
	return &graph.TimeoutError{
		Waiting: fmt.Sprintf("Graph's reads to show the assignments just written (Graph accepted the assign, but after %d reads "+
			"it still showed what the %s held before, %s instead of the planned %s; "+
			"Intune can take a while to make a change visible)",
			reads, r.entity.noun, r.entity.count(got), r.entity.count(want)),
		Err: err,
	}
}

// eachCollectionIsOneOf reports whether each collection of got is a's or b's.
func eachCollectionIsOneOf(got, a, b graph.AssignmentSet) bool {
	g, x, y := got.Collections(), a.Collections(), b.Collections()
	for i := range g {
		if !slices.Equal(g[i], x[i]) && !slices.Equal(g[i], y[i]) {
			return false
		}
	}
	return true
}

// fullyKnown reports whether v and everything in it is known.
func fullyKnown(ctx context.Context, v attr.Value) bool {
	tv, err := v.ToTerraformValue(ctx)
	return err == nil && tv.IsFullyKnown()
}

// assignmentListResult is the result of one listed object of an assignment
// resource's entity: its assignment set, read as refresh reads it (a list
// does not say which objects have any). An object with none has nothing to
// import, and is left out: a new resource assigns it.
func assignmentListResult[T any, S graph.AssignmentSet, M assignmentModelOf[M]](objects entityKind[T], e *assignedEntity[S, M]) listResult[T] {
	return func(ctx context.Context, client *graph.Client, req list.ListRequest, object T, result *list.ListResult) bool {
		id, name := objects.key(object)
		held, err := e.read(client, ctx, id)
		if graph.IsNotFound(err) { // deleted since the list
			return false
		}
		if err != nil {
			result.Diagnostics.AddError("Unable to read "+e.title+" assignments",
				errorDetail(err, e.call("read the assignments of "+e.noun+" "+id, operation{name: opRead, timeout: defaultReadTimeout})))
			return true
		}
		if empty(*held) {
			return false
		}
		result.DisplayName = "Assignments of " + name
		result.Diagnostics.Append(setIdentity(ctx, result.Identity, e.idAttribute, id)...)
		if !req.IncludeResource || result.Diagnostics.HasError() {
			return true
		}
		var listed M
		m, diags := e.flatten(listed.listed(id), ctx, held)
		result.Diagnostics.Append(diags...)
		if !diags.HasError() {
			result.Diagnostics.Append(result.Resource.Set(ctx, &m)...)
		}
		return true
	}
}
