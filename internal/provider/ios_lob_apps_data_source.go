package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// newIOSLobAppsDataSource lists the tenant's iOS LOB apps
// (list_data_source.go), each as the single data source reads it.
func newIOSLobAppsDataSource() datasource.DataSource {
	return newEntityListDataSource("_ios_lob_apps", iosLobApps, "apps", iosLobAppDataSourceAttributes(), iosLobAppSummaryFrom,
		"Every in-house (line-of-business) iOS app of the tenant (all pages), optionally only those whose "+
			"name starts with `display_name_prefix`, each with the attributes of the `intune_ios_lob_app` data source.")
}

// iosLobAppSummaryModel is one element of apps: the attributes of the
// single data source (iosLobAppSummaryFrom).
type iosLobAppSummaryModel struct {
	ID types.String `tfsdk:"id"`
	iosLobAppAttributes
}
