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
	"github.com/hashicorp/terraform-plugin-framework-validators/float64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/intunetf/terraform-provider-intune/internal/auth"
	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

var (
	_ provider.ProviderWithFunctions     = &intuneProvider{}
	_ provider.ProviderWithListResources = &intuneProvider{}
)

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
	TenantID                       types.String   `tfsdk:"tenant_id"`
	ClientID                       types.String   `tfsdk:"client_id"`
	ClientIDFilePath               types.String   `tfsdk:"client_id_file_path"`
	ClientSecret                   types.String   `tfsdk:"client_secret"`
	ClientSecretFilePath           types.String   `tfsdk:"client_secret_file_path"`
	ClientCertificate              types.String   `tfsdk:"client_certificate"`
	ClientCertificatePath          types.String   `tfsdk:"client_certificate_path"`
	ClientCertificatePassword      types.String   `tfsdk:"client_certificate_password"`
	UseOIDC                        types.Bool     `tfsdk:"use_oidc"`
	OIDCToken                      types.String   `tfsdk:"oidc_token"`
	OIDCTokenFilePath              types.String   `tfsdk:"oidc_token_file_path"`
	OIDCRequestToken               types.String   `tfsdk:"oidc_request_token"`
	OIDCRequestURL                 types.String   `tfsdk:"oidc_request_url"`
	ADOPipelineServiceConnectionID types.String   `tfsdk:"ado_pipeline_service_connection_id"`
	UseAKSWorkloadIdentity         types.Bool     `tfsdk:"use_aks_workload_identity"`
	UseMSI                         types.Bool     `tfsdk:"use_msi"`
	UseCLI                         types.Bool     `tfsdk:"use_cli"`
	Environment                    types.String   `tfsdk:"environment"`
	Endpoint                       *endpointModel `tfsdk:"endpoint"`
	DisableInstanceDiscovery       types.Bool     `tfsdk:"disable_instance_discovery"`
	WritesPerWindow                types.Int64    `tfsdk:"writes_per_window"`
	RequestsPerWindow              types.Int64    `tfsdk:"requests_per_window"`
	MaxWritesPerSecond             types.Float64  `tfsdk:"max_writes_per_second"`
}

type endpointModel struct {
	MicrosoftGraphEndpoint       types.String `tfsdk:"microsoft_graph_endpoint"`
	ActiveDirectoryAuthorityHost types.String `tfsdk:"active_directory_authority_host"`
}

func (p *intuneProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "intune"
	resp.Version = p.version
}

func (p *intuneProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Manages Intune's in-house (line-of-business) iOS apps, the provisioning profiles that keep them running, and who receives each, through Microsoft Graph. " +
			"Every setting is optional and falls back to the environment variables named in its description; an explicit value wins. " +
			"Credentials are tried in this order: OIDC token, OIDC token file, OIDC token request (GitHub Actions or Azure DevOps), " +
			"AKS workload identity, client secret, client certificate, managed identity, Azure CLI.",
		Attributes: map[string]schema.Attribute{
			"tenant_id": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "The Entra tenant (directory) id. Environment: `ARM_TENANT_ID`.",
			},
			"client_id": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "The client (application) id of the app registration, or of a user-assigned managed identity with `use_msi`. " +
					"Environment: `ARM_CLIENT_ID`.",
			},
			"client_id_file_path": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "A file holding the client id, as HCP Terraform's `tfc_azure_dynamic_credentials` provides; it must agree with `client_id` when both are set. " +
					"Environment: `ARM_CLIENT_ID_FILE_PATH`.",
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
			"client_certificate": schema.StringAttribute{
				Optional:  true,
				Sensitive: true,
				MarkdownDescription: "A client certificate with its private key, uploaded (public part) to the app registration: a PKCS#12 (`.pfx`) bundle " +
					"or PEM, base64-encoded; PEM may also be given as is. Environment: `ARM_CLIENT_CERTIFICATE`.",
			},
			"client_certificate_path": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "A PKCS#12 (`.pfx`/`.p12`) or PEM file holding the client certificate and its private key; it must agree with `client_certificate` when both are set. " +
					"Environment: `ARM_CLIENT_CERTIFICATE_PATH`.",
			},
			"client_certificate_password": schema.StringAttribute{
				Optional:            true,
				Sensitive:           true,
				MarkdownDescription: "The password of a PKCS#12 client certificate, if it has one. Environment: `ARM_CLIENT_CERTIFICATE_PASSWORD`.",
			},
			"use_oidc": schema.BoolAttribute{
				Optional: true,
				MarkdownDescription: "Request an OIDC token from the CI platform (GitHub Actions, or Azure DevOps with `ado_pipeline_service_connection_id`) " +
					"and exchange it through the app's federated credential. A given `oidc_token` or `oidc_token_file_path` is used without it; " +
					"`false` turns every OIDC method off. Environment: `ARM_USE_OIDC`.",
			},
			"oidc_token": schema.StringAttribute{
				Optional:            true,
				Sensitive:           true,
				MarkdownDescription: "An OIDC ID token to exchange through the app's federated credential, e.g. HCP Terraform's workload identity token. Environment: `ARM_OIDC_TOKEN`.",
			},
			"oidc_token_file_path": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "A file holding the OIDC ID token, read again whenever a new access token is needed (so a rotated file is picked up); " +
					"it must agree with `oidc_token` when both are set. Environment: `ARM_OIDC_TOKEN_FILE_PATH`.",
			},
			"oidc_request_token": schema.StringAttribute{
				Optional:  true,
				Sensitive: true,
				MarkdownDescription: "The bearer token for the OIDC token request. Environment: `ARM_OIDC_REQUEST_TOKEN`, then " +
					"`ACTIONS_ID_TOKEN_REQUEST_TOKEN` (GitHub Actions), then `SYSTEM_ACCESSTOKEN` (Azure DevOps).",
			},
			"oidc_request_url": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "The URL of the GitHub Actions OIDC token request. Environment: `ARM_OIDC_REQUEST_URL`, then `ACTIONS_ID_TOKEN_REQUEST_URL`. " +
					"(Azure DevOps requests go to the pipeline's `SYSTEM_OIDCREQUESTURI`.)",
			},
			"ado_pipeline_service_connection_id": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "The id of the Azure DevOps service connection (workload identity federation) whose OIDC token to request; needs `use_oidc`. " +
					"Environment: `ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID`, then `ARM_OIDC_AZURE_SERVICE_CONNECTION_ID`.",
			},
			"use_aks_workload_identity": schema.BoolAttribute{
				Optional: true,
				MarkdownDescription: "Use AKS workload identity: the token file in `AZURE_FEDERATED_TOKEN_FILE`, and `AZURE_CLIENT_ID`/`AZURE_TENANT_ID` " +
					"when `client_id`/`tenant_id` are not set, all injected by the workload identity webhook. Environment: `ARM_USE_AKS_WORKLOAD_IDENTITY`.",
			},
			"use_msi": schema.BoolAttribute{
				Optional: true,
				MarkdownDescription: "Use the managed identity of the host (VM, App Service, Container Apps, Functions, Arc...): the system-assigned one, " +
					"or the user-assigned one whose client id is `client_id`. Environment: `ARM_USE_MSI`.",
			},
			"use_cli": schema.BoolAttribute{
				Optional: true,
				MarkdownDescription: "Use the account signed in to the Azure CLI (`az login`) when no other method is configured. Defaults to `true`; " +
					"skipped when no `az` is on `PATH`. Environment: `ARM_USE_CLI`.",
			},
			"environment": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "The cloud: `public` (alias `global`), `usgovernment` (alias `usgovernmentl4`), `usgovernmentl5` (alias `dod`), `china`, " +
					"or `custom` with both `endpoint` values. Defaults to `public`. Environment: `ARM_ENVIRONMENT`.",
				Validators: []validator.String{
					stringvalidator.OneOfCaseInsensitive(auth.EnvironmentNames()...),
				},
			},
			"writes_per_window": schema.Int64Attribute{
				Optional: true,
				MarkdownDescription: fmt.Sprintf("How many writes this provider instance may have Intune count in any %[1]s window, "+
					"shared by all its resources and counting retries. Defaults to `%[2]d`, Intune's documented budget per application per "+
					"tenant for its app endpoints; the whole budget is usable at once, so an apply of up to %[2]d changes writes without waiting. "+
					"Should another tool, pipeline or provider alias write with the same application (or the tenant reach its limit of %[3]d "+
					"for all applications), Graph answers HTTP 429: every writer of this provider instance then waits out the `Retry-After`, "+
					"and the budget halves and recovers as writes succeed again. Lower it to leave a known share to other tools.",
					shortDuration(graph.IntuneWindow), graph.IntuneWritesPerWindow, 2*graph.IntuneWritesPerWindow),
				Validators: []validator.Int64{
					int64validator.AtLeast(1),
					int64validator.ConflictsWith(path.MatchRoot("max_writes_per_second")),
				},
			},
			"requests_per_window": schema.Int64Attribute{
				Optional: true,
				MarkdownDescription: fmt.Sprintf("The same for requests of any kind, reads and writes together. Defaults to `%d`, "+
					"Intune's documented budget per application per tenant.", graph.IntuneRequestsPerWindow),
				Validators: []validator.Int64{int64validator.AtLeast(1)},
			},
			"max_writes_per_second": schema.Float64Attribute{
				Optional: true,
				DeprecationMessage: "Use writes_per_window: Intune's limit is a budget of writes per 20-second window, which the whole " +
					"budget can use at once. max_writes_per_second = N now sets a budget of 20 x N writes per window.",
				MarkdownDescription: "Deprecated: use `writes_per_window`. A value of N sets a budget of 20 x N writes per 20-second window.",
				Validators:          []validator.Float64{float64validator.AtLeast(0.05)},
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
	settings, diags := authSettings(cfg)
	resp.Diagnostics.Append(diags...)
	for name, v := range map[string]attr.Value{"writes_per_window": cfg.WritesPerWindow, "requests_per_window": cfg.RequestsPerWindow, "max_writes_per_second": cfg.MaxWritesPerSecond} {
		if v.IsUnknown() {
			resp.Diagnostics.AddAttributeError(path.Root(name), "Unknown provider setting",
				name+" is not known until apply; set it from a value known at plan time.")
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}
	cred, err := auth.NewCredential(settings)
	if err != nil {
		resp.Diagnostics.AddError("Unable to authenticate the intune provider", err.Error())
		return
	}
	tflog.Info(ctx, "intune provider authenticates with "+cred.Method(), map[string]any{"authentication_method": cred.Method()})
	client, err := graph.New(settings.Cloud.GraphEndpoint, cred, &graph.Options{
		ApplicationID:     "terraform-provider-intune/" + p.version,
		WritesPerWindow:   writesPerWindow(cfg),
		RequestsPerWindow: int(cfg.RequestsPerWindow.ValueInt64()), // null is 0, the default
	})
	if err != nil {
		resp.Diagnostics.AddError("Invalid Microsoft Graph endpoint", err.Error())
		return
	}
	forwardAzureLogs()

	data := &providerData{client: client, owners: newOwners()}
	resp.ResourceData = data
	resp.DataSourceData = data
	resp.ListResourceData = data
}

// authSettings merges each authentication attribute with its environment
// variables (the attribute wins) into the settings internal/auth takes.
func authSettings(cfg providerModel) (auth.Settings, diag.Diagnostics) {
	var diags diag.Diagnostics
	if cfg.Endpoint == nil {
		cfg.Endpoint = &endpointModel{}
	}

	// A setting that depends on a resource not yet created cannot be used to
	// authenticate; say which one rather than failing later with a vague error.
	for name, v := range map[string]attr.Value{
		"tenant_id":                                cfg.TenantID,
		"client_id":                                cfg.ClientID,
		"client_id_file_path":                      cfg.ClientIDFilePath,
		"client_secret":                            cfg.ClientSecret,
		"client_secret_file_path":                  cfg.ClientSecretFilePath,
		"client_certificate":                       cfg.ClientCertificate,
		"client_certificate_path":                  cfg.ClientCertificatePath,
		"client_certificate_password":              cfg.ClientCertificatePassword,
		"use_oidc":                                 cfg.UseOIDC,
		"oidc_token":                               cfg.OIDCToken,
		"oidc_token_file_path":                     cfg.OIDCTokenFilePath,
		"oidc_request_token":                       cfg.OIDCRequestToken,
		"oidc_request_url":                         cfg.OIDCRequestURL,
		"ado_pipeline_service_connection_id":       cfg.ADOPipelineServiceConnectionID,
		"use_aks_workload_identity":                cfg.UseAKSWorkloadIdentity,
		"use_msi":                                  cfg.UseMSI,
		"use_cli":                                  cfg.UseCLI,
		"environment":                              cfg.Environment,
		"disable_instance_discovery":               cfg.DisableInstanceDiscovery,
		"endpoint.microsoft_graph_endpoint":        cfg.Endpoint.MicrosoftGraphEndpoint,
		"endpoint.active_directory_authority_host": cfg.Endpoint.ActiveDirectoryAuthorityHost,
	} {
		if v.IsUnknown() {
			diags.AddError("Unknown provider setting",
				fmt.Sprintf("%s is not known until apply. The intune provider needs it to authenticate; set it from a value known at plan time or from its environment variable.", name))
		}
	}
	if diags.HasError() {
		return auth.Settings{}, diags
	}

	bools := map[string]*bool{}
	for _, b := range []struct {
		attribute string
		value     types.Bool
		env       string
		def       bool
	}{
		{"disable_instance_discovery", cfg.DisableInstanceDiscovery, "ARM_DISABLE_INSTANCE_DISCOVERY", false},
		{"use_aks_workload_identity", cfg.UseAKSWorkloadIdentity, "ARM_USE_AKS_WORKLOAD_IDENTITY", false},
		{"use_msi", cfg.UseMSI, "ARM_USE_MSI", false},
		{"use_cli", cfg.UseCLI, "ARM_USE_CLI", true},
	} {
		v, err := boolSetting(b.value, b.env, b.def)
		if err != nil {
			diags.AddAttributeError(path.Root(b.attribute), "Invalid provider setting", err.Error())
		}
		bools[b.attribute] = &v
	}
	useOIDC, err := optionalBoolSetting(cfg.UseOIDC, "ARM_USE_OIDC")
	if err != nil {
		diags.AddAttributeError(path.Root("use_oidc"), "Invalid provider setting", err.Error())
	}
	if diags.HasError() {
		return auth.Settings{}, diags
	}

	cloud, err := auth.ResolveCloud(
		stringSetting(cfg.Environment, "ARM_ENVIRONMENT"),
		stringSetting(cfg.Endpoint.MicrosoftGraphEndpoint, "ARM_MSGRAPH_ENDPOINT"),
		stringSetting(cfg.Endpoint.ActiveDirectoryAuthorityHost, "ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST"),
	)
	if err != nil {
		diags.AddError("Invalid provider environment", err.Error())
		return auth.Settings{}, diags
	}
	settings := auth.Settings{
		TenantID:                  stringSetting(cfg.TenantID, "ARM_TENANT_ID"),
		ClientCertificatePassword: stringSetting(cfg.ClientCertificatePassword, "ARM_CLIENT_CERTIFICATE_PASSWORD"),
		UseOIDC:                   useOIDC,
		OIDCRequestToken:          stringSetting(cfg.OIDCRequestToken, "ARM_OIDC_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "SYSTEM_ACCESSTOKEN"),
		OIDCRequestURL:            stringSetting(cfg.OIDCRequestURL, "ARM_OIDC_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_URL"),
		ADOServiceConnectionID:    stringSetting(cfg.ADOPipelineServiceConnectionID, "ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID", "ARM_OIDC_AZURE_SERVICE_CONNECTION_ID"),
		UseAKSWorkloadIdentity:    *bools["use_aks_workload_identity"],
		UseMSI:                    *bools["use_msi"],
		UseCLI:                    *bools["use_cli"],
		Cloud:                     cloud,
		DisableInstanceDiscovery:  *bools["disable_instance_discovery"],
	}
	settings.ClientID, settings.ClientIDFilePath = pairSetting(cfg.ClientID, cfg.ClientIDFilePath, "ARM_CLIENT_ID", "ARM_CLIENT_ID_FILE_PATH")
	settings.ClientSecret, settings.ClientSecretFilePath = pairSetting(cfg.ClientSecret, cfg.ClientSecretFilePath, "ARM_CLIENT_SECRET", "ARM_CLIENT_SECRET_FILE_PATH")
	settings.ClientCertificate, settings.ClientCertificatePath = pairSetting(cfg.ClientCertificate, cfg.ClientCertificatePath, "ARM_CLIENT_CERTIFICATE", "ARM_CLIENT_CERTIFICATE_PATH")
	settings.OIDCToken, settings.OIDCTokenFilePath = pairSetting(cfg.OIDCToken, cfg.OIDCTokenFilePath, "ARM_OIDC_TOKEN", "ARM_OIDC_TOKEN_FILE_PATH")

	return settings, diags
}

func (p *intuneProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		newAssignmentResource(&configurationAssignments),
		newAssignmentResource(&appAssignments),
		newEntityResource[iosLobProvisioningConfigurationResource]("_ios_lob_provisioning_configuration", configurationIdentityDescription),
		newEntityResource[iosLobAppResource]("_ios_lob_app", appIdentityDescription),
	}
}

func (p *intuneProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		newDataSourceOf[iosLobProvisioningConfigurationDataSource],
		newIOSLobProvisioningConfigurationsDataSource,
		newDataSourceOf[iosLobAppDataSource],
		newIOSLobAppsDataSource,
	}
}

// ListResources are what `terraform query` lists (Terraform 1.14+): one per
// resource, under the resource's name.
func (p *intuneProvider) ListResources(context.Context) []func() list.ListResource {
	return listResources
}

func (p *intuneProvider) Functions(context.Context) []func() function.Function {
	return []func() function.Function{newParseMobileprovisionFunction}
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

// pairSetting resolves a value and its file path (client_id and
// client_id_file_path, ...) as one setting: when the configuration sets
// either, the environment is not consulted for the pair. This lets an
// aliased provider use its own files (HCP Terraform's
// tfc_azure_dynamic_credentials) while ARM_CLIENT_ID and ARM_OIDC_TOKEN
// hold the default configuration's values.
func pairSetting(value, file types.String, valueEnv, fileEnv string) (string, string) {
	if value.ValueString() != "" || file.ValueString() != "" {
		return value.ValueString(), file.ValueString()
	}
	return os.Getenv(valueEnv), os.Getenv(fileEnv)
}

// boolSetting is the attribute's value, else the environment variable's,
// else def.
func boolSetting(v types.Bool, env string, def bool) (bool, error) {
	b, err := optionalBoolSetting(v, env)
	if b == nil {
		return def, err
	}
	return *b, err
}

// optionalBoolSetting is like boolSetting, with nil for "not set".
func optionalBoolSetting(v types.Bool, env string) (*bool, error) {
	if !v.IsNull() && !v.IsUnknown() {
		b := v.ValueBool()
		return &b, nil
	}
	s := strings.TrimSpace(os.Getenv(env))
	if s == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return nil, fmt.Errorf("%s must be true or false, got %q", env, s)
	}
	return &b, nil
}

var forwardAzureLogsOnce sync.Once

// forwardAzureLogs sends azcore's request, response and retry events to the
// provider's log, which Terraform shows at TF_LOG=debug. A throttled (429)
// or retried request is therefore only a debug line, never a warning: the
// retry handles it. azcore redacts every header but the allowed ones (never
// Authorization) and logs no bodies.
func forwardAzureLogs() {
	forwardAzureLogsOnce.Do(func() {
		azlog.SetEvents(azlog.EventRequest, azlog.EventResponse, azlog.EventRetryPolicy)
		azlog.SetListener(func(event azlog.Event, msg string) {
			log.Printf("[DEBUG] azcore %s: %s", event, msg)
		})
	})
}

// writesPerWindow is the write budget the settings ask for, 0 for the
// default. The deprecated max_writes_per_second = N paced N writes a
// second, the same budget as 20 x N per 20-second window.
func writesPerWindow(cfg providerModel) int {
	if !cfg.MaxWritesPerSecond.IsNull() {
		return max(1, int(cfg.MaxWritesPerSecond.ValueFloat64()*graph.IntuneWindow.Seconds()))
	}
	return int(cfg.WritesPerWindow.ValueInt64())
}
