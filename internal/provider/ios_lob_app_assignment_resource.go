package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

// appAssignments is the Graph shape of an app's assignments: one
// collection, GET /mobileApps/{id}/assignments, replaced by
// POST /mobileApps/{id}/assign; only a published app can be assigned.
var appAssignments = assignedEntity[graph.AppAssignments, appAssignmentModel]{
	typeName:    "intune_ios_lob_app_assignment",
	schema:      appAssignmentsSchema,
	identity:    appIdentityDescription,
	title:       "app",
	noun:        "app",
	idAttribute: "app_id",
	blocks:      "assignment blocks",
	notFound:    "No mobile app has this id in the tenant.",
	read:        (*graph.Client).GetAppAssignments,
	write:       (*graph.Client).AssignApp,
	expand:      expandAppAssignments,
	planned:     appAssignmentModel.withSettingDefaults,
	flatten:     appAssignmentModel.holding,
	validate:    validateAppAssignments,
	describe:    describeAppAssignments,
	count:       func(a graph.AppAssignments) string { return fmt.Sprintf("%d assignments", len(a.Assignments)) },
	refuse: func(held *graph.AppAssignments) string {
		if held.PublishingState == "" || held.PublishingState == graph.PublishingStatePublished {
			return ""
		}
		return fmt.Sprintf("The app is not published yet (its publishingState is %s), and Intune assigns only a published app. "+
			"Nothing was written. Apply again once Intune has processed the app's content; an app managed by intune_ios_lob_app "+
			"is published when its resource is created, so refer to its id (app_id = intune_ios_lob_app.<name>.id).", held.PublishingState)
	},
}

func appAssignmentsSchema(ctx context.Context) schema.Schema {
	return schema.Schema{
		MarkdownDescription: "The whole assignment set of one iOS LOB app: who receives it, with which intent and settings. " +
			"Create and update replace the set with the planned `assignment` blocks; destroy leaves the app with no assignments.",
		Attributes: assignedObjectAttributes("app_id", "app", "The id (GUID) of the iOS LOB app, for instance `intune_ios_lob_app.<name>.id`."),
		Blocks: map[string]schema.Block{
			"assignment": schema.SetNestedBlock{
				MarkdownDescription: "An assignment (`mobileAppAssignment`): an intent, a target and the app's settings " +
					"(`iosLobAppAssignmentSettings`). Settings left out are what Intune applies when they are null.",
				NestedObject: schema.NestedBlockObject{
					Attributes: withTargetAttributes(appTargetKinds(), map[string]schema.Attribute{
						"intent": schema.StringAttribute{
							Required: true,
							MarkdownDescription: "`required` (installed), `available` (offered in the Company Portal to enrolled devices), " +
								"`uninstall` or `available_without_enrollment`. `available` and `available_without_enrollment` cannot target `all_devices`.",
							Validators: []validator.String{stringvalidator.OneOf(intents.names()...)},
						},
						"uninstall_on_device_removal": schema.BoolAttribute{
							Optional: true, Computed: true,
							MarkdownDescription: "Whether the app is removed when the device is removed from Intune (`uninstallOnDeviceRemoval`; default `true`, what Intune applies to null).",
						},
						"is_removable": schema.BoolAttribute{
							Optional: true, Computed: true,
							MarkdownDescription: "Whether the user can uninstall the app (`isRemovable`; default `true`, what Intune applies to null).",
						},
						"prevent_managed_app_backup": schema.BoolAttribute{
							Optional: true, Computed: true,
							MarkdownDescription: "Whether the app's data is kept out of iCloud backups (`preventManagedAppBackup`; default `false`, what Intune applies to null).",
						},
						"vpn_configuration_id": schema.StringAttribute{
							Optional:            true,
							CustomType:          guidType{},
							MarkdownDescription: "The id (GUID) of a VPN device configuration the app uses (`vpnConfigurationId`).",
						},
					}),
				},
			},
			"timeouts": timeouts.BlockAll(ctx),
		},
	}
}
