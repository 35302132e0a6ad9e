package provider

import (
	"context"
	"regexp"
	"slices"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

var _ resource.ResourceWithUpgradeState = &iosLobProvisioningConfigurationResource{}

type iosLobProvisioningConfigurationResource struct {
	entityResource
}

type configurationResourceModel struct {
	ID types.String `tfsdk:"id"`
	configurationAttributes
	Payload types.String `tfsdk:"payload"`
	Profile types.Object `tfsdk:"profile"`
	resourceTimeouts
}

// roleScopeTagIDPattern: Intune's scope tag ids are decimal numbers ("0" is Default).
var roleScopeTagIDPattern = regexp.MustCompile(`^[0-9]+$`)

// roleScopeTagIDsAttribute is the scope tags of a configuration or an app
// (noun): Intune's Default when left out.
func roleScopeTagIDsAttribute(noun string) schema.SetAttribute {
	return schema.SetAttribute{
		Optional:    true,
		Computed:    true,
		ElementType: types.StringType,
		MarkdownDescription: "Ids of the Intune scope tags of the " + noun + ", such as `[\"0\"]` (Default). " +
			"Left out, Intune assigns the Default tag.",
		Validators: []validator.Set{
			setvalidator.SizeAtLeast(1),
			setvalidator.ValueStringsAre(stringvalidator.RegexMatches(roleScopeTagIDPattern, `must be a scope tag id, a number such as "0" (Default)`)),
		},
		PlanModifiers: []planmodifier.Set{setplanmodifier.UseStateForUnknown()},
	}
}

// keptString is a computed string that a plan keeps as the state has it
// rather than showing it unknown, unless ModifyPlan says it changes: an id,
// a creation time, what only an upload changes.
func keptString(description string) schema.StringAttribute {
	return schema.StringAttribute{
		Computed:            true,
		MarkdownDescription: description,
		PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
	}
}

func (r *iosLobProvisioningConfigurationResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		// Version 1 added `profile` (UpgradeState).
		Version: 1,
		MarkdownDescription: "An iOS LOB app provisioning configuration: the `.mobileprovision` profile Intune pushes to " +
			"devices so that in-house iOS apps keep running. Every attribute updates in place.\n\n" +
			"The plan reads the profile in `payload`: `profile` shows what it says, `expiration_date_time` defaults to its expiry, " +
			"and a payload that is not a profile, or a profile that has expired, is refused at plan time (or, when `payload` is known " +
			"only at apply, then, before anything is written). A profile that expires within 30 days plans with a warning.",
		Attributes: map[string]schema.Attribute{
			"id": keptString("The configuration id (a GUID), which `intune_ios_lob_provisioning_assignment.configuration_id` takes."),
			"display_name": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "The name shown in the Intune portal.",
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"description": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "A description for admins. Leave it out rather than setting it to `\"\"`.",
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"payload_file_name": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "The file name of the profile, ending in `.mobileprovision` or `.xml`.",
				Validators:          []validator.String{stringvalidator.RegexMatches(payloadFileNamePattern, payloadFileNameRule)},
			},
			"payload": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "The profile's content in standard base64, typically `filebase64(\"sales.mobileprovision\")`: " +
					"the `.mobileprovision` file Apple issued (a CMS signed message), or its bare XML property list; the content is " +
					"recognised whatever `payload_file_name` says. Changing it (renewing the profile) updates the configuration in place. " +
					"A change made outside Terraform shows up as a diff. At plan time, a payload that is not a profile, or whose profile has " +
					"expired, is an error; one whose profile expires within 30 days is a warning. A payload Intune already holds and the " +
					"plan leaves as it is only warns, so that an expired profile never blocks a plan.",
				Validators: []validator.String{base64PayloadValidator{}},
			},
			"profile": profileResourceAttribute(),
			"expiration_date_time": schema.StringAttribute{
				Optional:   true,
				Computed:   true,
				CustomType: rfc3339Type{},
				MarkdownDescription: "When the profile expires, as an RFC 3339 timestamp such as `2027-01-31T00:00:00Z`, shown in the Intune portal. " +
					"Left out, a new configuration takes the `ExpirationDate` of the profile in `payload`, known at plan time, as the portal " +
					"does on upload; after that it stays what Intune holds (null for a configuration made in the portal without one) until " +
					"`payload` changes, when it becomes the new profile's, so the plan of a renewal shows the new expiry. " +
					"Set to another instant than the profile's, it is sent as set and the plan warns with both dates. " +
					"The same instant written with another offset is not a change.",
			},
			"role_scope_tag_ids": roleScopeTagIDsAttribute("configuration"),
			"created_date_time":  keptString("When the configuration was created (RFC 3339)."),
			"last_modified_date_time": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "When the configuration was last changed (RFC 3339).",
			},
			"version": schema.Int64Attribute{
				Computed:            true,
				MarkdownDescription: "The version Intune gives the configuration; it goes up with each change.",
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.BlockAll(ctx),
		},
	}
}

func (r *iosLobProvisioningConfigurationResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	defer createdOrNothing(ctx, resp)
	within(ctx, req.Plan, opCreate, &resp.Diagnostics, func(ctx context.Context, plan configurationResourceModel, op operation) {
		in, diags := configurationInput(ctx, plan, nil)
		resp.Diagnostics.Append(diags...)
		if resp.Diagnostics.HasError() {
			return
		}
		created, err := r.client.CreateConfiguration(ctx, in)
		if err != nil {
			resp.Diagnostics.AddError("Unable to create provisioning configuration", errorDetail(err, graphCall{
				action: "create " + configurationNoun(""), op: op, sent: configurationAttributesSent,
			}))
			return
		}
		// Graph made the configuration, with an id of its own: from here on
		// the Create succeeds and records the id, whatever else fails, or
		// the configuration would be lost to Terraform (diagnostics.go,
		// createdOrNothing).
		plan.ID = types.StringValue(created.ID)
		diags = setComputed(ctx, &plan, created)
		if d := resp.State.Set(ctx, &plan); d.HasError() {
			diags.Append(d...)
			resp.State.Raw = req.Plan.Raw // the planned values, and the id
			diags.Append(resp.State.SetAttribute(ctx, path.Root("id"), created.ID)...)
		}
		diags.Append(withoutUnknowns(&resp.State)...)
		diags.Append(setIdentity(ctx, resp.Identity, "id", created.ID)...)
		resp.Diagnostics.Append(recordedDespite(diags, "Provisioning configuration "+created.ID)...)
	})
}

func (r *iosLobProvisioningConfigurationResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	within(ctx, req.State, opRead, &resp.Diagnostics, func(ctx context.Context, state configurationResourceModel, op operation) {
		id := state.ID.ValueString()
		// First, so that a state written before identities (or a configuration
		// deleted outside Terraform) still answers with one, as Terraform requires.
		resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, "id", id)...)
		cfg, err := r.client.GetConfiguration(ctx, id)
		if !readAnswered(ctx, err, resp, "Unable to read provisioning configuration", graphCall{
			action: "read " + configurationNoun(id), op: op, idAttribute: "id",
		}) {
			return
		}
		read, diags := configurationResourceModelFrom(ctx, cfg, state.Payload.ValueString())
		resp.Diagnostics.Append(diags...)
		if resp.Diagnostics.HasError() {
			return
		}
		read.resourceTimeouts = state.resourceTimeouts
		resp.Diagnostics.Append(resp.State.Set(ctx, &read)...)
	})
}

func (r *iosLobProvisioningConfigurationResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	withinUpdate(ctx, req, &resp.Diagnostics, func(ctx context.Context, plan, state configurationResourceModel, op operation) {
		id := state.ID.ValueString()
		in, diags := configurationInput(ctx, plan, &state)
		resp.Diagnostics.Append(diags...)
		if resp.Diagnostics.HasError() {
			return
		}
		var current *graph.Configuration
		if in.DisplayName != nil || in.Description != nil || in.PayloadFileName != nil || in.Payload != nil ||
			in.ExpirationDateTime != nil || in.RoleScopeTagIDs != nil { // else only timeouts changed
			var err error
			if current, err = r.client.UpdateConfiguration(ctx, id, in); err != nil {
				resp.Diagnostics.AddError("Unable to update provisioning configuration", errorDetail(err, graphCall{
					action: "update " + configurationNoun(id), op: op, idAttribute: "id", sent: configurationAttributesSent,
				}))
				return
			}
		}
		// The new version and lastModifiedDateTime come with PATCH's 200
		// answer; should Graph answer 204 (or nothing was sent), they are
		// read. The payload is not fetched again, since the plan has it.
		if current == nil {
			var err error
			if current, err = r.client.GetConfigurationSummary(ctx, id); err != nil {
				resp.Diagnostics.AddError("Unable to read provisioning configuration", errorDetail(err, graphCall{
					action: "read the updated " + configurationNoun(id), op: op, idAttribute: "id",
				}))
				return
			}
		}
		plan.ID = state.ID
		resp.Diagnostics.Append(setComputed(ctx, &plan, current)...)
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, "id", id)...)
	})
}

func (r *iosLobProvisioningConfigurationResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	within(ctx, req.State, opDelete, &resp.Diagnostics, func(ctx context.Context, state configurationResourceModel, op operation) {
		id := state.ID.ValueString()
		if err := r.client.DeleteConfiguration(ctx, id); err != nil && !graph.IsNotFound(err) { // already gone is what delete wants
			resp.Diagnostics.AddError("Unable to delete provisioning configuration", errorDetail(err, graphCall{
				action: "delete " + configurationNoun(id), op: op, idAttribute: "id",
			}))
		}
	})
}

// ModifyPlan reads the planned profile: `profile` and, when left out,
// `expiration_date_time` come from it, and what is wrong with it is said
// before Intune pushes it to devices (planProfile).
func (r *iosLobProvisioningConfigurationResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	plan, state, configured, ok := plannedChange[configurationResourceModel, rfc3339Value](ctx, req, "expiration_date_time", &resp.Diagnostics)
	if !ok {
		return
	}
	resp.Diagnostics.Append(planProfile(&plan, state, configured, time.Now())...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// UpgradeState takes state version 0, written before `profile` existed.
func (r *iosLobProvisioningConfigurationResource) UpgradeState(ctx context.Context) map[int64]resource.StateUpgrader {
	var current resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &current)
	return map[int64]resource.StateUpgrader{
		0: {PriorSchema: configurationSchemaV0(current.Schema), StateUpgrader: upgradeConfigurationStateV0},
	}
}

// configurationInput is the body for plan: everything on create (state
// nil), only what changed on update, so that renaming a configuration does
// not upload its profile again.
func configurationInput(ctx context.Context, plan configurationResourceModel, state *configurationResourceModel) (graph.ConfigurationInput, diag.Diagnostics) {
	var in graph.ConfigurationInput
	var diags diag.Diagnostics
	if state == nil || !plan.DisplayName.Equal(state.DisplayName) {
		in.DisplayName = plan.DisplayName.ValueStringPointer()
	}
	if state == nil && !plan.Description.IsNull() || state != nil && !plan.Description.Equal(state.Description) {
		d := plan.Description.ValueString() // null, on update, clears it
		in.Description = &d
	}
	if state == nil || !plan.PayloadFileName.Equal(state.PayloadFileName) {
		in.PayloadFileName = plan.PayloadFileName.ValueStringPointer()
	}
	if state == nil || !samePayload(plan.Payload.ValueString(), state.Payload.ValueString()) {
		// ValueStringPointer points at a copy of the string header only: the
		// profile's bytes are shared, never duplicated.
		in.Payload = plan.Payload.ValueStringPointer()
	}
	if t, ok := plan.ExpirationDateTime.Time(); ok {
		if prior, had := timeOf(state); !had || !prior.Equal(t) {
			in.ExpirationDateTime = &t
		}
	}
	if !plan.RoleScopeTagIDs.IsNull() && !plan.RoleScopeTagIDs.IsUnknown() &&
		(state == nil || !plan.RoleScopeTagIDs.Equal(state.RoleScopeTagIDs)) {
		var tags []string
		diags.Append(plan.RoleScopeTagIDs.ElementsAs(ctx, &tags, false)...)
		slices.Sort(tags)
		in.RoleScopeTagIDs = tags
	}
	return in, diags
}

func timeOf(state *configurationResourceModel) (t time.Time, ok bool) {
	if state == nil {
		return t, false
	}
	return state.ExpirationDateTime.Time()
}

// setComputed fills what the plan left unknown from Graph's answer.
func setComputed(ctx context.Context, m *configurationResourceModel, cfg *graph.Configuration) diag.Diagnostics {
	attrs, diags := configurationAttributesFrom(ctx, cfg)
	m.CreatedDateTime = attrs.CreatedDateTime
	m.LastModifiedDateTime = attrs.LastModifiedDateTime
	m.Version = attrs.Version
	if m.ExpirationDateTime.IsUnknown() {
		m.ExpirationDateTime = attrs.ExpirationDateTime
	}
	if m.RoleScopeTagIDs.IsUnknown() {
		m.RoleScopeTagIDs = attrs.RoleScopeTagIDs
	}
	return diags
}
