package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

var (
	_ resource.ResourceWithConfigure      = &iosLobProvisioningAssignmentResource{}
	_ resource.ResourceWithImportState    = &iosLobProvisioningAssignmentResource{}
	_ resource.ResourceWithValidateConfig = &iosLobProvisioningAssignmentResource{}
	_ resource.ResourceWithModifyPlan     = &iosLobProvisioningAssignmentResource{}
	_ resource.ResourceWithIdentity       = &iosLobProvisioningAssignmentResource{}
)

type iosLobProvisioningAssignmentResource struct {
	configuredResource
}

func (r *iosLobProvisioningAssignmentResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_ios_lob_provisioning_assignment"
}

func (r *iosLobProvisioningAssignmentResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The whole assignment set of one iOS LOB app provisioning configuration: its legacy `group` " +
			"assignments and its `target` assignments. Create and update replace the set with the planned blocks; " +
			"destroy leaves the configuration with no assignments.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The configuration id.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"configuration_id": schema.StringAttribute{
				Required:            true,
				CustomType:          guidType{},
				MarkdownDescription: "The id (GUID) of the iOS LOB app provisioning configuration. Changing it replaces the resource.",
				PlanModifiers: []planmodifier.String{
					stringplanmodifier.RequiresReplaceIf(func(_ context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
						// A change of case only names the same configuration.
						resp.RequiresReplace = !strings.EqualFold(req.StateValue.ValueString(), req.PlanValue.ValueString())
					}, "Changing to another configuration replaces the resource.", "Changing to another configuration replaces the resource."),
				},
			},
		},
		Blocks: map[string]schema.Block{
			"group": schema.SetNestedBlock{
				MarkdownDescription: "A legacy group assignment (`appProvisioningConfigurationGroupAssignments`).",
				NestedObject: schema.NestedBlockObject{
					Attributes: map[string]schema.Attribute{
						"group_id": schema.StringAttribute{
							Required:            true,
							CustomType:          guidType{},
							MarkdownDescription: "The Entra group id (`targetGroupId`).",
						},
					},
				},
			},
			"target": schema.SetNestedBlock{
				MarkdownDescription: "An assignment target (`iOSLobAppProvisioningConfigAssignments`).",
				NestedObject: schema.NestedBlockObject{
					Attributes: map[string]schema.Attribute{
						"type": schema.StringAttribute{
							Required: true,
							MarkdownDescription: "One of `group` (Included groups), `exclusion_group` (Excluded groups), `all_devices`, " +
								"`all_licensed_users` (All users) or `configuration_manager_collection`.",
							Validators: []validator.String{stringvalidator.OneOf(targetTypeNames()...)},
						},
						"group_id": schema.StringAttribute{
							Optional:            true,
							CustomType:          guidType{},
							MarkdownDescription: "The Entra group id. Required for `group` and `exclusion_group`, refused for the other types.",
						},
						"collection_id": schema.StringAttribute{
							Optional:            true,
							MarkdownDescription: "The Configuration Manager collection id. Required for `configuration_manager_collection`, refused for the other types.",
							Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
						},
						"filter_id": schema.StringAttribute{
							Optional:            true,
							CustomType:          guidType{},
							MarkdownDescription: "The id of an assignment filter. Needs `filter_type`; refused on `exclusion_group`.",
							Validators:          []validator.String{filterIDNeedsFilterType()},
						},
						"filter_type": schema.StringAttribute{
							Optional:            true,
							MarkdownDescription: "`include` or `exclude`: whether the filter selects or removes devices. Needs `filter_id`.",
							Validators: []validator.String{
								stringvalidator.OneOf(graph.FilterTypeInclude, graph.FilterTypeExclude),
								filterTypeNeedsFilterID(),
							},
						},
					},
				},
			},
			"timeouts": timeouts.BlockAll(ctx),
		},
	}
}

// IdentitySchema: the configuration id, as `configuration_id` (identity.go).
func (r *iosLobProvisioningAssignmentResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = configurationIDIdentitySchema("configuration_id")
}

// Create looks before it writes, since assign replaces whatever the
// configuration holds: an empty configuration is assigned; one that holds
// exactly the plan (an earlier apply that was interrupted before Terraform
// saved its state) is adopted without a write; anything else is refused,
// with the import that brings it under Terraform.
func (r *iosLobProvisioningAssignmentResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	defer createdOrNothing(ctx, resp)
	within(ctx, req.Plan, opCreate, &resp.Diagnostics, func(ctx context.Context, plan assignmentModel, op operation) {
		plan.ID = types.StringValue(plan.ConfigurationID.ValueString())
		id := plan.ConfigurationID.ValueString()
		want, diags := expandAssignments(ctx, plan)
		resp.Diagnostics.Append(diags...)
		if resp.Diagnostics.HasError() || !r.mayWrite(id, &resp.Diagnostics) {
			return
		}
		resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, "configuration_id", id)...)
		held, err := r.client.GetAssignments(ctx, id)
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("configuration_id"), "Unable to read provisioning configuration assignments", errorDetail(err, graphCall{
				action: "read the assignments of configuration " + id + " before assigning it", op: op, idAttribute: "configuration_id",
			}))
			return
		}
		switch {
		case held.SameSet(want):
			tflog.Info(ctx, "The configuration already holds the planned assignments; adopting them without a write", map[string]any{"configuration_id": id})
			resp.Diagnostics.Append(r.setConfirmed(ctx, &resp.State, plan, held)...)
			return
		case len(held.Groups) > 0 || len(held.Targets) > 0:
			resp.Diagnostics.AddAttributeError(path.Root("configuration_id"), "Configuration already has assignments", adoptDetail(id, *held))
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
			resp.Diagnostics.Append(adoptedNextTime(diags, id)...)
		default:
			resp.Diagnostics.Append(diags...)
		}
	})
}

func (r *iosLobProvisioningAssignmentResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	within(ctx, req.State, opRead, &resp.Diagnostics, func(ctx context.Context, state assignmentModel, op operation) {
		id := state.ID.ValueString()
		// First, so that a state written before identities (or a configuration
		// deleted outside Terraform) still answers with one, as Terraform requires.
		resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, "configuration_id", id)...)
		current, err := r.client.GetAssignments(ctx, id)
		if goneOutOfBand(ctx, err, &resp.State) {
			return
		}
		if err != nil {
			resp.Diagnostics.AddError("Unable to read provisioning configuration assignments", errorDetail(err, graphCall{
				action: "read the assignments of configuration " + id, op: op, idAttribute: "configuration_id",
			}))
			return
		}
		groups, targets, diags := flattenAssignments(ctx, current)
		resp.Diagnostics.Append(diags...)
		if resp.Diagnostics.HasError() {
			return
		}
		state.ConfigurationID = newGUIDValue(id)
		state.Groups = groups
		state.Targets = targets
		resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	})
}

func (r *iosLobProvisioningAssignmentResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	within(ctx, req.Plan, opUpdate, &resp.Diagnostics, func(ctx context.Context, plan assignmentModel, op operation) {
		var prior assignmentModel
		resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
		want, diags := expandAssignments(ctx, plan)
		resp.Diagnostics.Append(diags...)
		before, diags := expandAssignments(ctx, prior)
		resp.Diagnostics.Append(diags...)
		if resp.Diagnostics.HasError() || !r.mayWrite(plan.ConfigurationID.ValueString(), &resp.Diagnostics) {
			return
		}
		resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, "configuration_id", plan.ConfigurationID.ValueString())...)
		if want.SameSet(before) {
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

func (r *iosLobProvisioningAssignmentResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	within(ctx, req.State, opDelete, &resp.Diagnostics, func(ctx context.Context, state assignmentModel, op operation) {
		// One assign and no read-back: the state is removed either way, and the
		// next read of this configuration, by whoever, sees Graph's truth.
		id := state.ID.ValueString()
		err := r.client.Assign(ctx, id, graph.Assignments{})
		if err != nil && !graph.IsNotFound(err) { // a deleted configuration has no assignments left to remove
			resp.Diagnostics.AddError("Unable to remove provisioning configuration assignments", errorDetail(err, graphCall{
				action: "remove the assignments of configuration " + id, op: op, idAttribute: "configuration_id",
			}))
		}
	})
}

// ImportState takes the configuration id, by id or by identity; the read
// that follows fills the sets.
func (r *iosLobProvisioningAssignmentResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	id, ok := importConfigurationID(ctx, req, "configuration_id", &resp.Diagnostics)
	if !ok {
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("configuration_id"), newGUIDValue(id))...)
	resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, "configuration_id", id)...)
}

// ModifyPlan refuses, at plan time, two instances that manage the same
// configuration with different sets: each apply would replace the other's.
func (r *iosLobProvisioningAssignmentResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.owners == nil { // destroyed, or not configured yet
		return
	}
	var plan assignmentModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || !fullyKnown(ctx, plan.ConfigurationID) || !fullyKnown(ctx, plan.Groups) || !fullyKnown(ctx, plan.Targets) {
		return // Create and Update check again before they write
	}
	want, diags := expandAssignments(ctx, plan)
	if diags.HasError() {
		return // ValidateConfig reports it
	}
	if id := plan.ConfigurationID.ValueString(); !r.owners.plan(id, want) {
		resp.Diagnostics.AddAttributeError(path.Root("configuration_id"), "Configuration managed by two resources", twoOwnersDetail(id))
	}
}

// ValidateConfig refuses, at plan time, what Graph would refuse at apply
// time or what would silently mean something else.
func (r *iosLobProvisioningAssignmentResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var cfg assignmentModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(validateGroups(ctx, cfg.Groups)...)
	resp.Diagnostics.Append(validateTargets(ctx, cfg.Targets)...)
}

// mayWrite claims the configuration for this instance's write; a second
// instance writing the same configuration in this apply is an error before
// it writes.
func (r *iosLobProvisioningAssignmentResource) mayWrite(id string, diags *diag.Diagnostics) bool {
	if r.owners.write(id) {
		return true
	}
	diags.AddAttributeError(path.Root("configuration_id"), "Configuration managed by two resources", twoOwnersDetail(id)+
		" Nothing was written by this one.")
	return false
}

// apply posts the planned set, replacing before (what the configuration
// held), then waits until Graph's reads show it, so that the state it
// returns is what Graph holds and the next plan is empty. It returns a nil
// state when it cannot confirm one, and whether the assign went through.
func (r *iosLobProvisioningAssignmentResource) apply(ctx context.Context, plan assignmentModel, before graph.Assignments, op operation) (state *assignmentModel, written bool, diags diag.Diagnostics) {
	want, diags := expandAssignments(ctx, plan)
	if diags.HasError() {
		return nil, false, diags
	}
	id := plan.ConfigurationID.ValueString()
	if err := r.client.Assign(ctx, id, want); err != nil {
		diags.AddError("Unable to assign provisioning configuration", errorDetail(err, graphCall{
			action: "assign configuration " + id, op: op, idAttribute: "configuration_id", sent: assignmentAttributesSent,
		}))
		return nil, false, diags
	}
	got, err := r.readBack(ctx, id, want, before)
	var foreign *foreignWriteError
	switch {
	case errors.As(err, &foreign):
		diags.AddAttributeError(path.Root("configuration_id"), "Configuration changed by someone else", foreign.Error())
		return nil, true, diags
	case err != nil:
		diags.AddError("Unable to confirm the new assignments", errorDetail(err, graphCall{
			action: "read back the assignments just written to configuration " + id, op: op, idAttribute: "configuration_id",
		}))
		return nil, true, diags
	}
	s := plan
	groups, targets, d := flattenAssignments(ctx, got)
	diags.Append(d...)
	if diags.HasError() {
		return nil, true, diags
	}
	s.Groups, s.Targets = groups, targets
	return &s, true, diags
}

// adoptedNextTime adds to the errors of a Create whose assign went through
// unconfirmed that the next apply adopts what was written.
func adoptedNextTime(diags diag.Diagnostics, id string) diag.Diagnostics {
	var out diag.Diagnostics
	for _, d := range diags {
		if d.Severity() != diag.SeverityError {
			out.Append(d)
			continue
		}
		detail := d.Detail() + "\n\nGraph accepted the assign to configuration " + id + ", so Terraform does not record the resource " +
			"yet: the next apply reads the configuration first and adopts the set written, without writing it again " +
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
func (r *iosLobProvisioningAssignmentResource) setConfirmed(ctx context.Context, state *tfsdk.State, plan assignmentModel, held *graph.Assignments) diag.Diagnostics {
	groups, targets, diags := flattenAssignments(ctx, held)
	if diags.HasError() {
		return diags
	}
	plan.Groups, plan.Targets = groups, targets
	diags.Append(state.Set(ctx, &plan)...)
	return diags
}

// foreignWriteError: a read-back found a set that is neither what the
// configuration held before the assign nor what was just written.
type foreignWriteError struct {
	id                  string
	before, wrote, seen graph.Assignments
}

func (e *foreignWriteError) Error() string {
	return fmt.Sprintf("Configuration %s was changed by someone else while Terraform was assigning it: Graph now holds %s, "+
		"which is neither what it held before (%s) nor what Terraform just wrote (%s). Another tool, pipeline or an admin in the "+
		"Intune portal is editing its assignments. Terraform wrote nothing more; run terraform plan to see the difference, and "+
		"agree on one owner for this configuration.",
		e.id, describeAssignments(e.seen), describeAssignments(e.before), describeAssignments(e.wrote))
}

// Read-back polling: the first read goes out at once (normally it already
// shows the write), later ones back off up to readBackMaxDelay.
const (
	readBackFirstDelay = 500 * time.Millisecond
	readBackMaxDelay   = 10 * time.Second
)

// readBack reads the configuration's assignments until they are want.
// Intune's reads can lag behind an assign it has accepted, showing before
// for a while, and the two collections are read apart, so one may show the
// new set while the other still shows the old; a collection that shows
// neither means another writer, and ends the wait at once with a
// *foreignWriteError. It stops when ctx ends, saying
// what it was waiting for.
func (r *iosLobProvisioningAssignmentResource) readBack(ctx context.Context, id string, want, before graph.Assignments) (*graph.Assignments, error) {
	delay := readBackFirstDelay
	var lagging *graph.Assignments // what the last read showed instead of want
	for reads := 1; ; reads++ {
		got, err := r.client.GetAssignments(ctx, id)
		if err != nil {
			if lagging != nil && ctx.Err() != nil {
				// The time ran out while reading once more: what the
				// provider waited for is the lag the earlier reads showed.
				return nil, readBackTimeout(reads-1, lagging, want, ctx.Err())
			}
			return nil, err
		}
		if got.SameSet(want) {
			return got, nil
		}
		if !eachCollectionIsOneOf(*got, before, want) {
			return nil, &foreignWriteError{id: id, before: before, wrote: want, seen: *got}
		}
		lagging = got
		tflog.Debug(ctx, "Graph's reads do not show the assignments just written yet; reading again", map[string]any{
			"configuration_id": id, "reads": reads, "next_read_in": delay.String(),
		})
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, readBackTimeout(reads, got, want, ctx.Err())
		case <-timer.C:
		}
		delay = min(2*delay, readBackMaxDelay)
	}
}

// readBackTimeout says that reads still lagged behind an assign when the
// operation's time ran out.
func readBackTimeout(reads int, got *graph.Assignments, want graph.Assignments, err error) error {
	return &graph.TimeoutError{
		Waiting: fmt.Sprintf("Graph's reads to show the assignments just written (Graph accepted the assign, but after %d reads "+
			"it still showed what the configuration held before, %d group and %d target assignments instead of the planned %d and %d; "+
			"Intune can take a while to make a change visible)",
			reads, len(got.Groups), len(got.Targets), len(want.Groups), len(want.Targets)),
		Err: err,
	}
}

// eachCollectionIsOneOf reports whether got's groups are a's or b's, and
// its targets a's or b's.
func eachCollectionIsOneOf(got, a, b graph.Assignments) bool {
	groups := func(x graph.Assignments) graph.Assignments { return graph.Assignments{Groups: x.Groups} }
	targets := func(x graph.Assignments) graph.Assignments { return graph.Assignments{Targets: x.Targets} }
	return (groups(got).SameSet(groups(a)) || groups(got).SameSet(groups(b))) &&
		(targets(got).SameSet(targets(a)) || targets(got).SameSet(targets(b)))
}

// fullyKnown reports whether v and everything in it is known.
func fullyKnown(ctx context.Context, v attr.Value) bool {
	tv, err := v.ToTerraformValue(ctx)
	return err == nil && tv.IsFullyKnown()
}
