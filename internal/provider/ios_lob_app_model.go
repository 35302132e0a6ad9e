package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

// iosLobAppAttributes are what Graph says of an iOS LOB app, as every view
// of one shows them; iosLobAppAttributesFrom is the one mapping.
type iosLobAppAttributes struct {
	DisplayName                     types.String `tfsdk:"display_name"`
	Description                     types.String `tfsdk:"description"`
	Publisher                       types.String `tfsdk:"publisher"`
	Developer                       types.String `tfsdk:"developer"`
	Owner                           types.String `tfsdk:"owner"`
	Notes                           types.String `tfsdk:"notes"`
	InformationURL                  types.String `tfsdk:"information_url"`
	PrivacyInformationURL           types.String `tfsdk:"privacy_information_url"`
	IsFeatured                      types.Bool   `tfsdk:"is_featured"`
	RoleScopeTagIDs                 types.Set    `tfsdk:"role_scope_tag_ids"`
	BundleID                        types.String `tfsdk:"bundle_id"`
	VersionNumber                   types.String `tfsdk:"version_number"`
	BuildNumber                     types.String `tfsdk:"build_number"`
	Size                            types.Int64  `tfsdk:"size"`
	ApplicableDeviceType            types.Object `tfsdk:"applicable_device_type"`
	MinimumSupportedOperatingSystem types.String `tfsdk:"minimum_supported_operating_system"`
	ExpirationDateTime              rfc3339Value `tfsdk:"expiration_date_time"`
	CommittedContentVersion         types.String `tfsdk:"committed_content_version"`
	PublishingState                 types.String `tfsdk:"publishing_state"`
	CreatedDateTime                 types.String `tfsdk:"created_date_time"`
	LastModifiedDateTime            types.String `tfsdk:"last_modified_date_time"`
}

// applicable_device_type's object.
var deviceTypeAttributeTypes = map[string]attr.Type{"ipad": types.BoolType, "iphone_and_ipod": types.BoolType}

func deviceTypeValue(iPad, iPhone bool) types.Object {
	return types.ObjectValueMust(deviceTypeAttributeTypes, map[string]attr.Value{
		"ipad": types.BoolValue(iPad), "iphone_and_ipod": types.BoolValue(iPhone),
	})
}

// iosLobAppAttributesFrom maps Graph's iosLobApp to its attributes.
func iosLobAppAttributesFrom(ctx context.Context, app *graph.IOSLobApp) (iosLobAppAttributes, diag.Diagnostics) {
	var diags diag.Diagnostics
	tags := types.SetNull(types.StringType)
	if app.RoleScopeTagIDs != nil {
		var d diag.Diagnostics
		tags, d = types.SetValueFrom(ctx, types.StringType, app.RoleScopeTagIDs)
		diags.Append(d...)
	}
	expires := newRFC3339Null()
	if app.ExpirationDateTime != nil {
		expires = newRFC3339Time(*app.ExpirationDateTime)
	}
	minOS := types.StringNull()
	if app.MinimumSupportedOperatingSystem != "" {
		minOS = types.StringValue(app.MinimumSupportedOperatingSystem)
	}
	return iosLobAppAttributes{
		DisplayName:                     stringOrNull(app.DisplayName),
		Description:                     stringOrNull(app.Description),
		Publisher:                       stringOrNull(app.Publisher),
		Developer:                       stringOrNull(app.Developer),
		Owner:                           stringOrNull(app.Owner),
		Notes:                           stringOrNull(app.Notes),
		InformationURL:                  stringOrNull(app.InformationURL),
		PrivacyInformationURL:           stringOrNull(app.PrivacyInformationURL),
		IsFeatured:                      types.BoolValue(app.IsFeatured),
		RoleScopeTagIDs:                 tags,
		BundleID:                        stringOrNull(app.BundleID),
		VersionNumber:                   stringOrNull(app.VersionNumber),
		BuildNumber:                     stringOrNull(app.BuildNumber),
		Size:                            types.Int64Value(app.Size),
		ApplicableDeviceType:            deviceTypeValue(app.ApplicableDeviceType.IPad, app.ApplicableDeviceType.IPhoneAndIPod),
		MinimumSupportedOperatingSystem: minOS,
		ExpirationDateTime:              expires,
		CommittedContentVersion:         stringOrNull(app.CommittedContentVersion),
		PublishingState:                 types.StringValue(app.PublishingState),
		CreatedDateTime:                 timeValue(app.CreatedDateTime),
		LastModifiedDateTime:            timeValue(app.LastModifiedDateTime),
	}, diags
}

// iosLobAppResourceModelFrom is the resource as Graph holds it, as an
// import and `terraform query` read it, with no timeouts. Graph holds
// neither the .ipa nor what Terraform uploaded: file_path is the name of the
// file Intune holds (relative, so the working directory), and file_sha256
// and profile, which describe the file Terraform uploaded, are null until
// it uploads one. A plan whose file at file_path is the build Intune holds
// uploads nothing, so the generated configuration plans as imports only.
func iosLobAppResourceModelFrom(ctx context.Context, app *graph.IOSLobApp) (iosLobAppResourceModel, diag.Diagnostics) {
	attrs, diags := iosLobAppAttributesFrom(ctx, app)
	return iosLobAppResourceModel{
		ID:                  types.StringValue(app.ID),
		FilePath:            heldFilePath(app),
		FileSHA256:          types.StringNull(),
		Profile:             types.ObjectNull(profileAttributeTypes()),
		iosLobAppAttributes: attrs,
		uploadTimeouts:      uploadTimeouts{Timeouts: nullResourceTimeouts().Timeouts},
	}, diags
}

// heldFilePath is file_path as Graph knows it: the name of the file Intune
// holds (fileName), null when it has none.
func heldFilePath(app *graph.IOSLobApp) types.String { return stringOrNull(app.FileName) }

// iosLobAppSummaryFrom is an element of the list data source's apps.
func iosLobAppSummaryFrom(ctx context.Context, app *graph.IOSLobApp) (iosLobAppSummaryModel, diag.Diagnostics) {
	attrs, diags := iosLobAppAttributesFrom(ctx, app)
	return iosLobAppSummaryModel{ID: types.StringValue(app.ID), iosLobAppAttributes: attrs}, diags
}

func timeValue(t time.Time) types.String {
	if t.IsZero() {
		return types.StringNull()
	}
	return types.StringValue(rfc3339(t))
}

// iosLobAppDataSourceAttributes are the computed attributes of an app in
// both data sources, as the resource's schema describes them.
func iosLobAppDataSourceAttributes() map[string]schema.Attribute {
	str := func(d string) schema.Attribute { return schema.StringAttribute{Computed: true, MarkdownDescription: d} }
	return map[string]schema.Attribute{
		"id":                      str("The app id (a GUID)."),
		"display_name":            str("The app's name in the Intune portal and the Company Portal."),
		"description":             str("What users read about the app in the Company Portal, null when there is none."),
		"publisher":               str("Who publishes the app, null when unset."),
		"developer":               str("Who developed the app, null when unset."),
		"owner":                   str("Who owns the app in your organisation, null when unset."),
		"notes":                   str("Notes for admins, null when there are none."),
		"information_url":         str("A page with more about the app, null when unset."),
		"privacy_information_url": str("The app's privacy statement, null when unset."),
		"is_featured":             schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the Company Portal features the app."},
		"role_scope_tag_ids":      schema.SetAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "Ids of the app's scope tags."},
		"bundle_id":               str("The app's bundle id (`CFBundleIdentifier`)."),
		"version_number":          str("The app's version (`CFBundleShortVersionString`), such as `2.4`."),
		"build_number":            str("The app's build (`CFBundleVersion`)."),
		"size":                    schema.Int64Attribute{Computed: true, MarkdownDescription: "The size in bytes of the content Intune serves."},
		"applicable_device_type": schema.SingleNestedAttribute{
			Computed:            true,
			MarkdownDescription: "The devices the app runs on.",
			Attributes: map[string]schema.Attribute{
				"ipad":            schema.BoolAttribute{Computed: true, MarkdownDescription: "iPad."},
				"iphone_and_ipod": schema.BoolAttribute{Computed: true, MarkdownDescription: "iPhone and iPod touch."},
			},
		},
		"minimum_supported_operating_system": str("The oldest iOS Intune offers the app to, such as `16.0`; null when unset."),
		"expiration_date_time": schema.StringAttribute{
			Computed:            true,
			CustomType:          rfc3339Type{},
			MarkdownDescription: "When the app stops launching, as Intune records it: the expiry of its embedded provisioning profile (RFC 3339), null when unset.",
		},
		"committed_content_version": str("The content version Intune serves, null when no content is committed."),
		"publishing_state":          str("`published` once Intune has processed the content; `processing` before, `notPublished` with no content."),
		"created_date_time":         str("When the app was created (RFC 3339)."),
		"last_modified_date_time":   str("When the app was last changed (RFC 3339)."),
	}
}
