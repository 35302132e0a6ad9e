// Package provider is the Terraform surface of the intune provider: schemas,
// models, conversion between models and graph types, and diagnostics. It
// makes no HTTP calls itself; internal/graph does.
package provider

import (
	"context"
	"fmt"
	"log"
	"os"
	"strconv"
	"strings"
	"sync"

	azlog "github.com/Azure/azure-sdk-for-go/sdk/azcore/log"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/intunetf/terraform-provider-intune/internal/auth"
	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

var _ provider.Provider = &intuneProvider{}

// New returns the provider factory that main and the tests serve.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &intuneProvider{version: version}
	}
}

type intuneProvider struct {
	version string
}

type providerModel struct {
	TenantID                 types.String   `tfsdk:"tenant_id"`
	ClientID                 types.String   `tfsdk:"client_id"`
	ClientIDFilePath         types.String   `tfsdk:"client_id_file_path"`
	ClientSecret             types.String   `tfsdk:"client_secret"`
	ClientSecretFilePath     types.String   `tfsdk:"client_secret_file_path"`
	Environment              types.String   `tfsdk:"environment"`
	Endpoint                 *endpointModel `tfsdk:"endpoint"`
	DisableInstanceDiscovery types.Bool     `tfsdk:"disable_instance_discovery"`
}

type endpointModel struct {
	MicrosoftGraphEndpoint       types.String `tfsdk:"microsoft_graph_endpoint"`
	ActiveDirectoryAuthorityHost types.String `tfsdk:"active_directory_authority_host"`
}

// providerData is what Configure hands to every resource of one provider
// instance: one Graph client, and with it one cached token.
type providerData struct {
	client *graph.Client
}

func (p *intuneProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "intune"
	resp.Version = p.version
}

func (p *intuneProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Manages Intune iOS line-of-business app provisioning configurations and who receives them, through Microsoft Graph. " +
			"Every setting is optional and falls back to the environment variable named in its description; an explicit value wins.",
		Attributes: map[string]schema.Attribute{
			"tenant_id": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "The Entra tenant (directory) id. Environment: `ARM_TENANT_ID`.",
			},
			"client_id": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "The client (application) id of the app registration or managed identity. Environment: `ARM_CLIENT_ID`.",
			},
			"client_id_file_path": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "A file holding the client id; it must agree with `client_id` when both are set. Environment: `ARM_CLIENT_ID_FILE_PATH`.",
			},
			"client_secret": schema.StringAttribute{
				Optional:            true,
				Sensitive:           true,
				MarkdownDescription: "A client secret of the app registration. Environment: `ARM_CLIENT_SECRET`.",
			},
			"client_secret_file_path": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "A file holding the client secret; it must agree with `client_secret` when both are set. Environment: `ARM_CLIENT_SECRET_FILE_PATH`.",
			},
			"environment": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "The cloud: `public` (alias `global`), `usgovernment` (alias `usgovernmentl4`), `usgovernmentl5` (alias `dod`), `china`, " +
					"or `custom` with both `endpoint` values. Defaults to `public`. Environment: `ARM_ENVIRONMENT`.",
				Validators: []validator.String{
					stringvalidator.OneOfCaseInsensitive(auth.EnvironmentNames()...),
				},
			},
			"disable_instance_discovery": schema.BoolAttribute{
				Optional: true,
				MarkdownDescription: "Skip Entra instance discovery, for authority hosts Entra does not know, such as Azure Stack, " +
					"a private cloud or the bundled emulator. Environment: `ARM_DISABLE_INSTANCE_DISCOVERY`.",
			},
		},
		Blocks: map[string]schema.Block{
			"endpoint": schema.SingleNestedBlock{
				MarkdownDescription: "Endpoints that override those of `environment`.",
				Attributes: map[string]schema.Attribute{
					"microsoft_graph_endpoint": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "The Microsoft Graph endpoint, e.g. `https://graph.microsoft.com`. Environment: `ARM_MSGRAPH_ENDPOINT`.",
					},
					"active_directory_authority_host": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "The Entra authority host, e.g. `https://login.microsoftonline.com/`. Environment: `ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST`.",
					},
				},
			},
		},
	}
}

func (p *intuneProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if cfg.Endpoint == nil {
		cfg.Endpoint = &endpointModel{}
	}

	// A setting that depends on a resource not yet created cannot be used to
	// authenticate; say which one rather than failing later with a vague error.
	for name, v := range map[string]types.String{
		"tenant_id": cfg.TenantID, "client_id": cfg.ClientID, "client_id_file_path": cfg.ClientIDFilePath,
		"client_secret": cfg.ClientSecret, "client_secret_file_path": cfg.ClientSecretFilePath, "environment": cfg.Environment,
		"endpoint.microsoft_graph_endpoint":        cfg.Endpoint.MicrosoftGraphEndpoint,
		"endpoint.active_directory_authority_host": cfg.Endpoint.ActiveDirectoryAuthorityHost,
	} {
		if v.IsUnknown() {
			resp.Diagnostics.AddError("Unknown provider setting",
				fmt.Sprintf("%s is not known until apply. The intune provider needs it to authenticate; set it from a value known at plan time or from its environment variable.", name))
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}

	disableDiscovery, err := boolSetting(cfg.DisableInstanceDiscovery, "ARM_DISABLE_INSTANCE_DISCOVERY")
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("disable_instance_discovery"), "Invalid provider setting", err.Error())
		return
	}
	cloud, err := auth.ResolveCloud(
		stringSetting(cfg.Environment, "ARM_ENVIRONMENT"),
		stringSetting(cfg.Endpoint.MicrosoftGraphEndpoint, "ARM_MSGRAPH_ENDPOINT"),
		stringSetting(cfg.Endpoint.ActiveDirectoryAuthorityHost, "ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST"),
	)
	if err != nil {
		resp.Diagnostics.AddError("Invalid provider environment", err.Error())
		return
	}
	cred, err := auth.NewCredential(auth.Settings{
		TenantID:                 stringSetting(cfg.TenantID, "ARM_TENANT_ID"),
		ClientID:                 stringSetting(cfg.ClientID, "ARM_CLIENT_ID"),
		ClientIDFilePath:         stringSetting(cfg.ClientIDFilePath, "ARM_CLIENT_ID_FILE_PATH"),
		ClientSecret:             stringSetting(cfg.ClientSecret, "ARM_CLIENT_SECRET"),
		ClientSecretFilePath:     stringSetting(cfg.ClientSecretFilePath, "ARM_CLIENT_SECRET_FILE_PATH"),
		Cloud:                    cloud,
		DisableInstanceDiscovery: disableDiscovery,
	})
	if err != nil {
		resp.Diagnostics.AddError("Unable to authenticate the intune provider", err.Error())
		return
	}
	client, err := graph.New(cloud.GraphEndpoint, cred, &graph.Options{
		ApplicationID: "terraform-provider-intune/" + p.version,
	})
	if err != nil {
		resp.Diagnostics.AddError("Invalid Microsoft Graph endpoint", err.Error())
		return
	}
	forwardAzureLogs()

	data := &providerData{client: client}
	resp.ResourceData = data
	resp.DataSourceData = data
}

func (p *intuneProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		newIOSLobProvisioningAssignmentResource,
		newIOSLobProvisioningConfigurationResource,
	}
}

func (p *intuneProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		newIOSLobProvisioningConfigurationDataSource,
		newIOSLobProvisioningConfigurationsDataSource,
	}
}

// stringSetting is the attribute's value, else the first environment
// variable that is set.
func stringSetting(v types.String, envs ...string) string {
	if s := v.ValueString(); s != "" {
		return s
	}
	for _, e := range envs {
		if s := os.Getenv(e); s != "" {
			return s
		}
	}
	return ""
}

func boolSetting(v types.Bool, env string) (bool, error) {
	if !v.IsNull() && !v.IsUnknown() {
		return v.ValueBool(), nil
	}
	s := strings.TrimSpace(os.Getenv(env))
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, fmt.Errorf("%s must be true or false, got %q", env, s)
	}
	return b, nil
}

var forwardAzureLogsOnce sync.Once

// forwardAzureLogs sends azcore's request, response and retry events to the
// provider's log, which Terraform shows at TF_LOG=debug. azcore redacts every
// header but the allowed ones (never Authorization) and logs no bodies.
func forwardAzureLogs() {
	forwardAzureLogsOnce.Do(func() {
		azlog.SetEvents(azlog.EventRequest, azlog.EventResponse, azlog.EventRetryPolicy)
		azlog.SetListener(func(event azlog.Event, msg string) {
			log.Printf("[DEBUG] azcore %s: %s", event, msg)
		})
	})
}
