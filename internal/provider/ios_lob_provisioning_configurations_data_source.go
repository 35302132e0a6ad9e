package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// newIOSLobProvisioningConfigurationsDataSource lists the tenant's
// configurations (list_data_source.go).
func newIOSLobProvisioningConfigurationsDataSource() datasource.DataSource {
	return newEntityListDataSource("_ios_lob_provisioning_configurations", configurations, "configurations", map[string]schema.Attribute{
		"id":                      schema.StringAttribute{Computed: true, MarkdownDescription: "The configuration id."},
		"display_name":            schema.StringAttribute{Computed: true, MarkdownDescription: "The name."},
		"description":             schema.StringAttribute{Computed: true, MarkdownDescription: "The description, null when there is none."},
		"payload_file_name":       schema.StringAttribute{Computed: true, MarkdownDescription: "The file name of the profile."},
		"expiration_date_time":    schema.StringAttribute{Computed: true, CustomType: rfc3339Type{}, MarkdownDescription: "When the profile expires (RFC 3339), null when unset."},
		"role_scope_tag_ids":      schema.SetAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "Ids of the scope tags."},
		"created_date_time":       schema.StringAttribute{Computed: true, MarkdownDescription: "When it was created (RFC 3339)."},
		"last_modified_date_time": schema.StringAttribute{Computed: true, MarkdownDescription: "When it was last changed (RFC 3339)."},
		"version":                 schema.Int64Attribute{Computed: true, MarkdownDescription: "The version Intune gives it."},
	}, configurationSummaryFrom, configurationsDataSourceDescription)
}

// No `profile`: Graph's list carries no payloads, and reading each
// configuration's (tens of kilobytes, one request each) would make a list
// cost a request per configuration. expiration_date_time, which the list
// has, is what a list is used for.
const configurationsDataSourceDescription = "Every iOS LOB app provisioning configuration of the tenant (all pages), optionally only those whose " +
	"name starts with `display_name_prefix`. Profiles are not included (Graph lists configurations without them), so " +
	"neither is `profile`; `expiration_date_time` is. Read one configuration's profile with the " +
	"`intune_ios_lob_provisioning_configuration` data source."
