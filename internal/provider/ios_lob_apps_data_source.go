package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

// newIOSLobAppsDataSource lists the tenant's iOS LOB apps
// (list_data_source.go), each as the single data source reads it.
func newIOSLobAppsDataSource() datasource.DataSource {
	return &entityListDataSource[graph.IOSLobApp, iosLobAppSummaryModel]{
		typeName: "_ios_lob_apps",
		description: "Every in-house (line-of-business) iOS app of the tenant (all pages), optionally only those whose name starts with " +
			"`display_name_prefix`, each with the attributes of the `intune_ios_lob_app` data source.",
		entities: iosLobApps,
		items:    "apps",
		item:     iosLobAppDataSourceAttributes(),
		itemFrom: iosLobAppSummaryFrom,
	}
}

// iosLobAppSummaryModel is one element of apps: the attributes of the
// single data source (iosLobAppSummaryFrom).
type iosLobAppSummaryModel struct {
	ID types.String `tfsdk:"id"`
	iosLobAppAttributes
}
