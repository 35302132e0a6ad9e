package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

// iosLobAppResource is an in-house iOS app in Intune (#microsoft.graph.iosLobApp)
// with the .ipa at file_path as its committed content. An import takes the
// app id; file_path is the configuration's: the first plan after an import
// sets it, and uploads only if the file's build is not the one Intune holds.
type iosLobAppResource struct {
	entityResource
}

type iosLobAppResourceModel struct {
	ID         types.String `tfsdk:"id"`
	FilePath   types.String `tfsdk:"file_path"`
	FileSHA256 types.String `tfsdk:"file_sha256"`
	Profile    types.Object `tfsdk:"profile"`
	iosLobAppAttributes
	uploadTimeouts
}

// An upload of up to 2 GB over a slow link takes far longer than a Graph
// write: create and update default to an hour.
const defaultUploadTimeout = 60 * time.Minute

type uploadTimeouts struct {
	Timeouts timeouts.Value `tfsdk:"timeouts"`
}

func (t uploadTimeouts) timeoutFor(ctx context.Context, name string) (time.Duration, diag.Diagnostics) {
	return operationTimeout(ctx, t.Timeouts, name, defaultUploadTimeout)
}

func (r *iosLobAppResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	computedString := func(d string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: d}
	}
	optionalString := func(d string) schema.StringAttribute {
		return schema.StringAttribute{Optional: true, MarkdownDescription: d + " Leave it out rather than setting it to `\"\"`.",
			Validators: []validator.String{stringvalidator.LengthAtLeast(1)}}
	}
	fromFile := " Read from the `.ipa` at plan time."
	resp.Schema = schema.Schema{
		MarkdownDescription: "An in-house (line-of-business) iOS app in Intune, with the enterprise-signed `.ipa` at `file_path` as its content. " +
			"The plan reads the file: its bundle id, version, build, size, SHA-256 and embedded provisioning profile are known before anything is uploaded. " +
			"A new file updates the app in place: a new content version is uploaded, encrypted, and committed, and only then does the app serve it. " +
			"A different bundle id is a different app, so it replaces this one.",
		Attributes: map[string]schema.Attribute{
			"id": keptString("The app id (a GUID), which `intune_ios_lob_app_assignment.app_id` takes."),
			"file_path": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "The `.ipa` to upload: an enterprise-signed iOS app, at most 2 GB. Read at plan time; " +
					"a file that is missing, not an app, too large, signed with an expired profile, or a new file with the same `build_number` as the one Intune holds, is an error at plan time. " +
					"Only its content matters: moving the file plans no upload. An import (and `terraform query`) takes the name of the file Intune holds, " +
					"relative to the working directory.",
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"file_sha256": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "The SHA-256 of the `.ipa` Terraform uploaded, in lower-case hex, as `filesha256()` gives it. A new value means a new upload. " +
					"Null when Intune serves content committed outside Terraform (the portal, a script), so that the next apply uploads `file_path` again, and after an import " +
					"while the file's build is the one Intune holds.",
			},
			"profile": schema.SingleNestedAttribute{
				Computed: true,
				MarkdownDescription: "The provisioning profile embedded in the `.ipa` (`embedded.mobileprovision`), as `provider::intune::parse_mobileprovision` reads one; " +
					"null when the app has none." + fromFile + " Like `file_sha256`, it describes the file Terraform uploaded: after an import, null until Terraform uploads a new build.",
				Attributes: profileResourceAttribute().Attributes,
			},
			"display_name": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "The app's name in the Intune portal and the Company Portal (the portal's **Name**).",
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"description":             optionalString("What users read about the app in the Company Portal (the portal's **Description**)."),
			"publisher":               optionalString("Who publishes the app (the portal's **Publisher**)."),
			"developer":               optionalString("Who developed the app (the portal's **Developer**)."),
			"owner":                   optionalString("Who owns the app in your organisation (the portal's **Owner**)."),
			"notes":                   optionalString("Notes for admins (the portal's **Notes**)."),
			"information_url":         optionalString("A page with more about the app (the portal's **Information URL**)."),
			"privacy_information_url": optionalString("The app's privacy statement (the portal's **Privacy URL**)."),
			"is_featured": schema.BoolAttribute{
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(false),
				MarkdownDescription: "Whether the Company Portal features the app (the portal's **Show this as a featured app in the Company Portal**). Default `false`.",
			},
			"role_scope_tag_ids": roleScopeTagIDsAttribute("app"),
			"bundle_id":          computedString("The app's bundle id (`CFBundleIdentifier`)." + fromFile + " A new one replaces the app: to Intune and to devices it is another app."),
			"version_number":     computedString("The app's version (`CFBundleShortVersionString`), such as `2.4`." + fromFile),
			"build_number":       computedString("The app's build (`CFBundleVersion`), which every new upload must change." + fromFile),
			"size": schema.Int64Attribute{
				Computed:            true,
				MarkdownDescription: "The `.ipa`'s size in bytes." + fromFile,
			},
			"applicable_device_type": schema.SingleNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The devices the app runs on, from `UIDeviceFamily` (an app that does not say runs on iPhone and iPod only, as iOS assumes)." + fromFile,
				Attributes: map[string]schema.Attribute{
					"ipad":            schema.BoolAttribute{Computed: true, MarkdownDescription: "iPad."},
					"iphone_and_ipod": schema.BoolAttribute{Computed: true, MarkdownDescription: "iPhone and iPod touch."},
				},
			},
			"minimum_supported_operating_system": schema.StringAttribute{
				Optional: true,
				Computed: true,
				MarkdownDescription: "The oldest iOS Intune offers the app to, one of `8.0` to `18.0` and `26.0` (the versions Intune lists) (the portal's **Minimum operating system**). " +
					"Left out, the highest of these that the app's own `MinimumOSVersion` allows (`16.0` for an app that needs 16.4); " +
					"set lower than the app's own, it is an error, since devices that old could not run it.",
				Validators: []validator.String{stringvalidator.OneOf(graph.IOSMinimumOSVersions...)},
			},
			"expiration_date_time": schema.StringAttribute{
				Computed:            true,
				CustomType:          rfc3339Type{},
				MarkdownDescription: "When the app stops launching: the expiry of its embedded provisioning profile, which Intune shows as the app's expiration date (RFC 3339)." + fromFile,
			},
			"committed_content_version": keptString("The content version Intune serves: the upload last committed. It changes with each upload."),
			"publishing_state":          keptString("`published` once Intune has processed the content (Create and Update wait for it, so an assignment can follow at once); `processing` before."),
			"created_date_time":         keptString("When the app was created (RFC 3339)."),
			"last_modified_date_time":   computedString("When the app was last changed (RFC 3339)."),
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Read: true, Update: true, Delete: true,
				CreateDescription: "How long a create may take, the upload included (default 60m).",
				UpdateDescription: "How long an update may take, the upload of a new file included (default 60m)."}),
		},
	}
}

// Create looks before it makes an app, since a Create cut short (Ctrl-C, a
// failed upload, a timeout) leaves an app with no committed content behind
// and returns no state: the next apply finds that app by its bundle id and
// completes it instead of making a second. An app of the same bundle id
// that serves content is someone else's: refused, with the import.
// Once the content is committed the app is recorded whatever follows, so
// its id is never lost.
func (r *iosLobAppResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	defer createdOrNothing(ctx, resp)
	within(ctx, req.Plan, opCreate, &resp.Diagnostics, func(ctx context.Context, plan iosLobAppResourceModel, op operation) {
		file, ok := r.fileForApply(plan, &resp.Diagnostics)
		if !ok {
			return
		}
		app, ok := r.findUnfinished(ctx, plan, op, &resp.Diagnostics)
		if !ok {
			return
		}
		if app == nil {
			in := r.input(ctx, plan, nil)
			in.FileName = ptr(filepath.Base(plan.FilePath.ValueString()))
			var err error
			if app, err = r.client.CreateIOSLobApp(ctx, in); err != nil {
				resp.Diagnostics.AddError("Unable to create iOS app", errorDetail(err, r.call("create the iOS app "+plan.BundleID.ValueString(), op, "")))
				return
			}
		}
		done, ok := r.upload(ctx, app.ID, plan, file, op, &resp.Diagnostics)
		if !ok {
			resp.Diagnostics.AddError("The app was made, its content was not committed",
				fmt.Sprintf("Intune holds app %s (bundle id %s) with no content from this apply. Apply again: Terraform finds that app by its bundle id "+
					"and uploads the file to it, rather than making a second.", app.ID, plan.BundleID.ValueString()))
			return
		}
		resp.Diagnostics.Append(r.record(ctx, &resp.State, plan, app.ID, done)...)
		resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, "id", app.ID)...)
	})
}

func (r *iosLobAppResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	within(ctx, req.State, opRead, &resp.Diagnostics, func(ctx context.Context, state iosLobAppResourceModel, op operation) {
		id := state.ID.ValueString()
		resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, "id", id)...)
		app, err := r.client.GetIOSLobApp(ctx, id)
		if !readAnswered(ctx, err, resp, "Unable to read iOS app", r.call("read iOS app "+id, op, "id")) {
			return
		}
		attrs, diags := iosLobAppAttributesFrom(ctx, app)
		resp.Diagnostics.Append(diags...)
		if resp.Diagnostics.HasError() {
			return
		}
		held := state.CommittedContentVersion.ValueString()
		if held != "" && attrs.CommittedContentVersion.ValueString() != held {
			// Content committed outside Terraform (the portal, a script): the
			// file Terraform uploaded is no longer what Intune serves.
			state.FileSHA256 = types.StringNull()
			resp.Diagnostics.AddWarning("iOS app content changed outside Terraform",
				fmt.Sprintf("App %s now serves content version %s, committed outside Terraform; Terraform committed version %s. "+
					"The next apply uploads file_path again, unless you import the new build as it is.", id, attrs.CommittedContentVersion.ValueString(), held))
		}
		if !state.Size.IsNull() && attrs.CommittedContentVersion.ValueString() == held {
			attrs.Size = state.Size // the .ipa's own size, which Graph's app size need not be
		}
		state.iosLobAppAttributes = attrs
		if state.FilePath.IsNull() { // imported: as iosLobAppResourceModelFrom, which terraform query writes
			state.FilePath = heldFilePath(app)
		}
		resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	})
}

func (r *iosLobAppResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	withinUpdate(ctx, req, &resp.Diagnostics, func(ctx context.Context, plan, state iosLobAppResourceModel, op operation) {
		id := state.ID.ValueString()
		plan.ID = state.ID
		// Set whatever the update does: a CLI before identities (Terraform
		// before 1.12) plans none, and the framework refuses an update that
		// returns none, such as the one after an import that only sets
		// file_path.
		resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, "id", id)...)
		var done *graph.IOSLobApp
		if uploads(plan, state) {
			file, ok := r.fileForApply(plan, &resp.Diagnostics)
			if !ok {
				return
			}
			// Until the commit succeeds the app serves its previous version:
			// on error the prior state stays, and devices keep a working app.
			if done, ok = r.upload(ctx, id, plan, file, op, &resp.Diagnostics); !ok {
				return
			}
		}
		// An upload's PATCH carried the settings with the new content
		// version; without one, only what changed is sent.
		in := r.input(ctx, plan, &state)
		if done == nil && !reflect.ValueOf(in).IsZero() { // else nothing to send
			app, err := r.client.UpdateIOSLobApp(ctx, id, in)
			if err != nil {
				resp.Diagnostics.AddError("Unable to update iOS app", errorDetail(err, r.call("update iOS app "+id, op, "id")))
				return
			}
			done = app
		}
		if done == nil { // only timeouts or file_path changed
			resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
			return
		}
		resp.Diagnostics.Append(r.record(ctx, &resp.State, plan, id, done)...)
	})
}

func (r *iosLobAppResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	within(ctx, req.State, opDelete, &resp.Diagnostics, func(ctx context.Context, state iosLobAppResourceModel, op operation) {
		id := state.ID.ValueString()
		if err := r.client.DeleteMobileApp(ctx, id); err != nil && !graph.IsNotFound(err) {
			resp.Diagnostics.AddError("Unable to delete iOS app", errorDetail(err, r.call("delete iOS app "+id, op, "id")))
		}
	})
}

// ModifyPlan reads the .ipa at file_path: what it says of the app becomes
// the plan, and what would fail at apply, or break devices, fails here.
func (r *iosLobAppResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	plan, state, configuredMinOS, ok := plannedChange[iosLobAppResourceModel, types.String](ctx, req, "minimum_supported_operating_system", &resp.Diagnostics)
	if !ok {
		return
	}
	resp.Diagnostics.Append(planIPA(&plan, state, configuredMinOS, time.Now())...)
	if resp.Diagnostics.HasError() {
		return
	}
	if state != nil && !plan.BundleID.IsUnknown() && !state.BundleID.IsNull() && plan.BundleID.ValueString() != state.BundleID.ValueString() {
		resp.RequiresReplace = append(resp.RequiresReplace, path.Root("bundle_id"))
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// planIPA fills what the plan knows from the file at file_path, and checks
// it. state is nil on create.
func planIPA(plan, state *iosLobAppResourceModel, configuredMinOS types.String, now time.Time) diag.Diagnostics {
	var diags diag.Diagnostics
	if plan.FilePath.IsUnknown() {
		unknownFromFile(plan)
		return diags
	}
	f, err := readIPAFile(plan.FilePath.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("file_path"), "Invalid iOS app file", "file_path: "+err.Error()+".")
		return diags
	}
	app := f.app
	plan.BundleID = types.StringValue(app.BundleID)
	plan.VersionNumber = types.StringValue(app.VersionNumber)
	plan.BuildNumber = types.StringValue(app.BuildNumber)
	plan.ApplicableDeviceType = deviceTypeValue(app.IPad, app.IPhone)
	own := minimumOSFlag(app.MinimumOSVersion)
	switch {
	case configuredMinOS.IsNull():
		plan.MinimumSupportedOperatingSystem = types.StringValue(own)
	case osBelow(configuredMinOS.ValueString(), own):
		diags.AddAttributeError(path.Root("minimum_supported_operating_system"), "Minimum operating system below the app's own",
			fmt.Sprintf("minimum_supported_operating_system is %s, but the app's MinimumOSVersion is %s: devices older than that cannot run it. "+
				"Set it to %s or later, or leave it out to take %s.", configuredMinOS.ValueString(), app.MinimumOSVersion, own, own))
	}
	plan.Profile = types.ObjectNull(profileAttributeTypes())
	plan.ExpirationDateTime = newRFC3339Null()
	if app.Profile != nil {
		var d diag.Diagnostics
		plan.Profile, d = profileValue(app.Profile)
		diags.Append(d...)
		plan.ExpirationDateTime = newRFC3339Time(app.Profile.ExpirationDate)
	}

	held := state != nil && state.CommittedContentVersion.ValueString() != ""
	switch {
	case !held, state.FileSHA256.ValueString() != "" && state.FileSHA256.ValueString() != f.sha256:
		// A new app, or a new file: uploaded.
		plan.FileSHA256 = types.StringValue(f.sha256)
	case state.FileSHA256.IsNull() && state.BuildNumber.ValueString() != app.BuildNumber:
		// Content committed outside Terraform, or imported, that is another build.
		plan.FileSHA256 = types.StringValue(f.sha256)
	default:
		plan.FileSHA256 = state.FileSHA256 // what Intune serves already
	}
	upload := state == nil || uploads(*plan, *state)
	if upload && held && state.BuildNumber.ValueString() == app.BuildNumber && state.BundleID.ValueString() == app.BundleID {
		diags.AddAttributeError(path.Root("file_path"), "Same build as the app Intune holds",
			fmt.Sprintf("file_path is a different file from the one Intune serves, but with the same build number (CFBundleVersion %s). "+
				"Intune takes a new upload only with a new CFBundleVersion, and devices would not install it as an update: build the app with another build number.",
				app.BuildNumber))
	}
	if app.Profile != nil {
		diags.Append(expiryDiagnostics(app.Profile, upload, now, path.Root("file_path"), "the .ipa's embedded profile", appRenewalAdvice)...)
	} else if app.ProfileErr != nil {
		diags.AddAttributeWarning(path.Root("file_path"), "Embedded provisioning profile not readable",
			fmt.Sprintf("file_path: the app's embedded.mobileprovision cannot be read (%s), so profile and expiration_date_time are null.", app.ProfileErr))
	}
	if upload {
		plan.Size = types.Int64Value(app.Size)
		plan.CommittedContentVersion = types.StringUnknown()
		plan.PublishingState = types.StringUnknown()
		plan.LastModifiedDateTime = types.StringUnknown()
	} else {
		// What the file Terraform uploaded said: null after an import until
		// an upload, as file_sha256, so that an import plans no change.
		plan.Profile = state.Profile
		plan.Size = state.Size
		if plan.iosLobAppAttributes.sameSettableAs(state.iosLobAppAttributes) && plan.ExpirationDateTime.Equal(state.ExpirationDateTime) {
			plan.LastModifiedDateTime = state.LastModifiedDateTime
		} else {
			plan.LastModifiedDateTime = types.StringUnknown()
		}
	}
	return diags
}

// appRenewalAdvice: an app signed with a profile about to expire needs a
// new build, re-signed with the renewed profile.
const appRenewalAdvice = "Renew the profile in the Apple Developer portal, re-sign the app with it (a new build, with a new CFBundleVersion) " +
	"and point file_path at the new .ipa: the app is updated in place."

// uploads: the plan commits a new file.
func uploads(plan, state iosLobAppResourceModel) bool {
	return state.CommittedContentVersion.ValueString() == "" || plan.FileSHA256.IsUnknown() ||
		plan.FileSHA256.ValueString() != state.FileSHA256.ValueString()
}

// unknownFromFile: a file_path known only at apply; the plan Terraform
// makes again then reads it.
func unknownFromFile(plan *iosLobAppResourceModel) {
	plan.FileSHA256 = types.StringUnknown()
	plan.Profile = types.ObjectUnknown(profileAttributeTypes())
	plan.BundleID, plan.VersionNumber, plan.BuildNumber = types.StringUnknown(), types.StringUnknown(), types.StringUnknown()
	plan.Size = types.Int64Unknown()
	plan.ApplicableDeviceType = types.ObjectUnknown(deviceTypeAttributeTypes)
	if plan.MinimumSupportedOperatingSystem.IsNull() {
		plan.MinimumSupportedOperatingSystem = types.StringUnknown()
	}
	plan.ExpirationDateTime = rfc3339Value{StringValue: types.StringUnknown()}
	plan.CommittedContentVersion = types.StringUnknown()
	plan.PublishingState = types.StringUnknown()
	plan.LastModifiedDateTime = types.StringUnknown()
}

// sameSettableAs: nothing a PATCH would send differs.
func (a iosLobAppAttributes) sameSettableAs(b iosLobAppAttributes) bool {
	return a.DisplayName.Equal(b.DisplayName) && a.Description.Equal(b.Description) && a.Publisher.Equal(b.Publisher) &&
		a.Developer.Equal(b.Developer) && a.Owner.Equal(b.Owner) && a.Notes.Equal(b.Notes) && a.InformationURL.Equal(b.InformationURL) &&
		a.PrivacyInformationURL.Equal(b.PrivacyInformationURL) && a.IsFeatured.Equal(b.IsFeatured) &&
		(a.RoleScopeTagIDs.IsUnknown() || a.RoleScopeTagIDs.Equal(b.RoleScopeTagIDs)) &&
		a.MinimumSupportedOperatingSystem.Equal(b.MinimumSupportedOperatingSystem)
}

// fileForApply reads file_path again at apply: the file Terraform uploads
// must be the one the plan showed.
func (r *iosLobAppResource) fileForApply(plan iosLobAppResourceModel, diags *diag.Diagnostics) (*ipaFile, bool) {
	f, err := readIPAFile(plan.FilePath.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("file_path"), "Invalid iOS app file", "file_path: "+err.Error()+".")
		return nil, false
	}
	if want := plan.FileSHA256.ValueString(); want != "" && f.sha256 != want {
		diags.AddAttributeError(path.Root("file_path"), "iOS app file changed since the plan",
			fmt.Sprintf("file_path %q has SHA-256 %s now; the plan was made with %s. Nothing was uploaded: plan again.", plan.FilePath.ValueString(), f.sha256, want))
		return nil, false
	}
	return f, true
}

// findUnfinished is the app an earlier Create made and could not complete
// (same bundle id, no committed content), nil if there is none; an app of
// that bundle id with content is refused, with the import that adopts it.
func (r *iosLobAppResource) findUnfinished(ctx context.Context, plan iosLobAppResourceModel, op operation, diags *diag.Diagnostics) (*graph.IOSLobApp, bool) {
	apps, err := r.client.ListIOSLobApps(ctx)
	if err != nil {
		diags.AddError("Unable to list iOS apps", errorDetail(err, r.call("list the iOS apps before creating one", op, "")))
		return nil, false
	}
	bundle := plan.BundleID.ValueString()
	var unfinished, serving []graph.IOSLobApp
	for _, a := range apps {
		if !strings.EqualFold(a.BundleID, bundle) {
			continue
		}
		if a.CommittedContentVersion == "" {
			unfinished = append(unfinished, a)
		} else {
			serving = append(serving, a)
		}
	}
	if len(serving) > 0 {
		a := serving[0]
		diags.AddAttributeError(path.Root("file_path"), "An app with this bundle id is in Intune already",
			fmt.Sprintf("Intune already has the iOS app %q (id %s) with bundle id %s; a second app of the same bundle id would compete for the same app on devices. "+
				"To manage it with Terraform, import it:\n\n  import {\n    to = intune_ios_lob_app.<name>\n    id = %q\n  }\n\nor: terraform import intune_ios_lob_app.<name> %s",
				a.DisplayName, a.ID, bundle, a.ID, a.ID))
		return nil, false
	}
	if len(unfinished) == 0 {
		return nil, true
	}
	// The newest, should several be left (each a Create cut short before
	// this rule); the others stay for an admin to delete, as they serve nothing.
	slices.SortFunc(unfinished, func(a, b graph.IOSLobApp) int { return b.CreatedDateTime.Compare(a.CreatedDateTime) })
	tflog.Info(ctx, "Completing the iOS app an earlier apply made and could not finish", map[string]any{"id": unfinished[0].ID, "bundle_id": bundle})
	return &unfinished[0], true
}

// upload commits the file as the app's content, points the app at it with
// the plan's settings, and waits until Intune has published it.
func (r *iosLobAppResource) upload(ctx context.Context, id string, plan iosLobAppResourceModel, f *ipaFile, op operation, diags *diag.Diagnostics) (*graph.IOSLobApp, bool) {
	in, err := os.Open(plan.FilePath.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("file_path"), "Unable to read iOS app file", "file_path: "+err.Error())
		return nil, false
	}
	defer in.Close()
	done, err := r.client.UploadContent(ctx, id, graph.ContentSource{
		Name:          filepath.Base(plan.FilePath.ValueString()),
		Size:          f.app.Size,
		Reader:        in,
		BundleID:      f.app.BundleID,
		BundleVersion: f.app.BuildNumber,
		Title:         plan.DisplayName.ValueString(),
	}, graph.UploadOptions{})
	if err != nil {
		diags.AddAttributeError(path.Root("file_path"), "Unable to upload iOS app content", errorDetail(err, r.call("upload "+plan.FilePath.ValueString()+" to iOS app "+id, op, "id"))+
			"\n\nNothing was committed: the app serves what it served before this apply, and the next apply uploads the file again.")
		return nil, false
	}
	if done.SHA256 != f.sha256 {
		// The file changed while it was read: what Intune committed is not
		// what the plan showed, so the app is not pointed at it.
		diags.AddAttributeError(path.Root("file_path"), "iOS app file changed during the upload",
			fmt.Sprintf("file_path %q had SHA-256 %s when the apply began and %s as it was uploaded. The app still serves its previous content: apply again.",
				plan.FilePath.ValueString(), f.sha256, done.SHA256))
		return nil, false
	}
	version := done.ContentVersion
	patch := r.input(ctx, plan, nil)
	patch.CommittedContentVersion = &version
	patch.FileName = ptr(filepath.Base(plan.FilePath.ValueString()))
	if _, err := r.client.UpdateIOSLobApp(ctx, id, patch); err != nil {
		diags.AddError("Unable to commit iOS app content", errorDetail(err, r.call("point iOS app "+id+" at its new content version "+version, op, "id")))
		return nil, false
	}
	app, err := r.client.WaitPublished(ctx, id)
	if err != nil {
		// The content is committed and the app points at it: recorded, with
		// the state Intune last showed.
		diags.AddWarning("iOS app not yet published", errorDetail(err, r.call("wait for iOS app "+id+" to be published", op, "id"))+
			"\n\nThe content is committed; the next plan reads the app again.")
		if app == nil {
			if app, err = r.client.GetIOSLobApp(ctx, id); err != nil {
				app = &graph.IOSLobApp{ID: id, CommittedContentVersion: version, PublishingState: graph.PublishingStateProcessing}
			}
		}
	}
	return app, true
}

// record sets the state to the plan with what Graph answered for the
// attributes Graph decides.
func (r *iosLobAppResource) record(ctx context.Context, state settable, plan iosLobAppResourceModel, id string, app *graph.IOSLobApp) diag.Diagnostics {
	attrs, diags := iosLobAppAttributesFrom(ctx, app)
	plan.ID = types.StringValue(id)
	plan.CommittedContentVersion = attrs.CommittedContentVersion
	plan.PublishingState = attrs.PublishingState
	plan.CreatedDateTime = attrs.CreatedDateTime
	plan.LastModifiedDateTime = attrs.LastModifiedDateTime
	if plan.RoleScopeTagIDs.IsUnknown() {
		plan.RoleScopeTagIDs = attrs.RoleScopeTagIDs
	}
	if diags.HasError() {
		return recordedDespite(diags, "iOS app "+id)
	}
	diags.Append(state.Set(ctx, &plan)...)
	return diags
}

// settable is a response's state.
type settable interface {
	Set(ctx context.Context, val any) diag.Diagnostics
}

// input is what a create (state nil) or an update sends: on update, only
// what changed.
func (r *iosLobAppResource) input(ctx context.Context, plan iosLobAppResourceModel, state *iosLobAppResourceModel) graph.IOSLobAppInput {
	var in graph.IOSLobAppInput
	str := func(p, s types.String) *string {
		if p.IsUnknown() || (state != nil && p.Equal(s)) {
			return nil
		}
		return ptr(p.ValueString()) // "" clears what the configuration left out
	}
	var ps iosLobAppAttributes
	if state != nil {
		ps = state.iosLobAppAttributes
	}
	in.DisplayName = str(plan.DisplayName, ps.DisplayName)
	in.Description = str(plan.Description, ps.Description)
	in.Publisher = str(plan.Publisher, ps.Publisher)
	in.Developer = str(plan.Developer, ps.Developer)
	in.Owner = str(plan.Owner, ps.Owner)
	in.Notes = str(plan.Notes, ps.Notes)
	in.InformationURL = str(plan.InformationURL, ps.InformationURL)
	in.PrivacyInformationURL = str(plan.PrivacyInformationURL, ps.PrivacyInformationURL)
	in.BundleID = str(plan.BundleID, ps.BundleID)
	in.BuildNumber = str(plan.BuildNumber, ps.BuildNumber)
	in.VersionNumber = str(plan.VersionNumber, ps.VersionNumber)
	in.MinimumSupportedOperatingSystem = str(plan.MinimumSupportedOperatingSystem, ps.MinimumSupportedOperatingSystem)
	if state == nil || !plan.IsFeatured.Equal(ps.IsFeatured) {
		in.IsFeatured = ptr(plan.IsFeatured.ValueBool())
	}
	if !plan.RoleScopeTagIDs.IsUnknown() && !plan.RoleScopeTagIDs.IsNull() && (state == nil || !plan.RoleScopeTagIDs.Equal(ps.RoleScopeTagIDs)) {
		var tags []string
		_ = plan.RoleScopeTagIDs.ElementsAs(ctx, &tags, false)
		in.RoleScopeTagIDs = tags
	}
	if state == nil || !plan.ApplicableDeviceType.Equal(ps.ApplicableDeviceType) {
		attrs := plan.ApplicableDeviceType.Attributes()
		if ipad, ok := attrs["ipad"].(types.Bool); ok {
			iphone, _ := attrs["iphone_and_ipod"].(types.Bool)
			in.ApplicableDeviceType = &graph.IOSDeviceType{IPad: ipad.ValueBool(), IPhoneAndIPod: iphone.ValueBool()}
		}
	}
	if t, ok := plan.ExpirationDateTime.Time(); ok && (state == nil || !plan.ExpirationDateTime.Equal(ps.ExpirationDateTime)) {
		in.ExpirationDateTime = &t
	}
	return in
}

// call describes a Graph call about the app for errorDetail.
func (r *iosLobAppResource) call(action string, op operation, idAttribute string) graphCall {
	return iosLobAppCall(action, op, idAttribute)
}

// iosLobAppCall describes a Graph call about an app for errorDetail, in
// the resource and the data source.
func iosLobAppCall(action string, op operation, idAttribute string) graphCall {
	return graphCall{action: action, op: op, idAttribute: idAttribute, sent: iosLobAppAttributesSent, notFound: "No iOS app has this id in the tenant."}
}

const iosLobAppAttributesSent = "display_name, description, publisher, developer, owner, notes, information_url, privacy_information_url, " +
	"is_featured, role_scope_tag_ids, minimum_supported_operating_system and what file_path says of the app"

func ptr[T any](v T) *T { return &v }
