package provider

import (
	"context"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Resource identity (Terraform 1.12+, OpenTofu 1.12+): both resources are identified by one
// configuration id, under the name of the attribute that holds it (`id` for
// the configuration, `configuration_id` for the assignment). The identity
// is the id in lower case: a GUID names the same configuration in any case,
// and Terraform refuses an identity that changes, so a change of case in
// configuration (which plans an update that writes nothing) must leave the
// identity as it was.

// Descriptions of the identities.
const (
	configurationIdentityDescription = "The id (GUID) of the iOS LOB app provisioning configuration."
	appIdentityDescription           = "The id (GUID) of the iOS LOB app."
)

// idIdentitySchema is the identity schema of a resource identified by one
// object id in attribute name.
func idIdentitySchema(name, description string) identityschema.Schema {
	return identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			name: identityschema.StringAttribute{RequiredForImport: true, Description: description},
		},
	}
}

// setIdentity records id as the identity. identity is nil when the resource
// is used by a Terraform without identities.
func setIdentity(ctx context.Context, identity *tfsdk.ResourceIdentity, name, id string) diag.Diagnostics {
	if identity == nil {
		return nil
	}
	return identity.SetAttribute(ctx, path.Root(name), types.StringValue(strings.ToLower(id)))
}

// importConfigurationID is the configuration id an import names, by id
// (`terraform import`, `import { id = ... }`) or by identity
// (`import { identity = { name = ... } }`), checked to be a GUID before any
// call to Graph.
func importConfigurationID(ctx context.Context, req resource.ImportStateRequest, name string, diags *diag.Diagnostics) (string, bool) {
	id := req.ID
	if id == "" && req.Identity != nil {
		var v types.String
		diags.Append(req.Identity.GetAttribute(ctx, path.Root(name), &v)...)
		if diags.HasError() {
			return "", false
		}
		id = v.ValueString()
	}
	return id, checkImportID(id, diags)
}

// importByID is the ImportState of a resource identified by one object id
// in attribute name: the id the import names (importConfigurationID) set as
// `id` and as the identity. It returns the id for what else the resource
// records, and false when the import names no valid id.
func importByID(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse, name string) (string, bool) {
	id, ok := importConfigurationID(ctx, req, name, &resp.Diagnostics)
	if !ok {
		return "", false
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
	resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, name, id)...)
	return id, true
}
