// Package auth turns provider settings into an azcore.TokenCredential and
// the endpoints of the cloud it talks to. It uses azidentity and has no
// Terraform imports.
package auth

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Cloud is where tokens come from and where Graph lives.
type Cloud struct {
	Name          string
	AuthorityHost string // with a trailing slash, as azidentity expects
	GraphEndpoint string // without a trailing slash
	// exchangeAudience is the audience Entra in this cloud requires of
	// federated tokens; see TokenExchangeAudience.
	exchangeAudience string
}

// Scope is the token scope for Graph in this cloud.
func (c Cloud) Scope() string { return c.GraphEndpoint + "/.default" }

// TokenExchangeAudience is the audience to request for an ID token that
// Entra exchanges (workload identity federation), and so the audience of
// the app's federated credential: each national cloud has its own.
func (c Cloud) TokenExchangeAudience() string {
	if c.exchangeAudience == "" {
		return "api://AzureADTokenExchange"
	}
	return c.exchangeAudience
}

var clouds = map[string]Cloud{
	"public":         {Name: "public", AuthorityHost: "https://login.microsoftonline.com/", GraphEndpoint: "https://graph.microsoft.com", exchangeAudience: "api://AzureADTokenExchange"},
	"usgovernment":   {Name: "usgovernment", AuthorityHost: "https://login.microsoftonline.us/", GraphEndpoint: "https://graph.microsoft.us", exchangeAudience: "api://AzureADTokenExchangeUSGov"},
	"usgovernmentl5": {Name: "usgovernmentl5", AuthorityHost: "https://login.microsoftonline.us/", GraphEndpoint: "https://dod-graph.microsoft.us", exchangeAudience: "api://AzureADTokenExchangeUSGov"},
	"china":          {Name: "china", AuthorityHost: "https://login.chinacloudapi.cn/", GraphEndpoint: "https://microsoftgraph.chinacloudapi.cn", exchangeAudience: "api://AzureADTokenExchangeChina"},
}

var cloudAliases = map[string]string{
	"global":         "public",
	"usgovernmentl4": "usgovernment",
	"dod":            "usgovernmentl5",
}

// CustomCloud is the environment name that takes both endpoints from the user.
const CustomCloud = "custom"

// EnvironmentNames lists every accepted value of `environment`, for validators and errors.
func EnvironmentNames() []string {
	names := []string{CustomCloud}
	for n := range clouds {
		names = append(names, n)
	}
	for a := range cloudAliases {
		names = append(names, a)
	}
	sort.Strings(names)
	return names
}

// ResolveCloud picks the cloud for environment (empty means public) and
// applies the endpoint overrides, which win over the environment's own.
func ResolveCloud(environment, graphEndpoint, authorityHost string) (Cloud, error) {
	name := strings.ToLower(strings.TrimSpace(environment))
	if name == "" {
		name = "public"
	}
	if canonical, ok := cloudAliases[name]; ok {
		name = canonical
	}
	var c Cloud
	switch known, ok := clouds[name]; {
	case ok:
		c = known
	case name == CustomCloud:
		if graphEndpoint == "" || authorityHost == "" {
			return Cloud{}, fmt.Errorf(`environment "custom" needs both endpoint.microsoft_graph_endpoint and endpoint.active_directory_authority_host (or ARM_MSGRAPH_ENDPOINT and ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST)`)
		}
		c = Cloud{Name: CustomCloud}
	default:
		return Cloud{}, fmt.Errorf("unknown environment %q; valid values are %s", environment, strings.Join(EnvironmentNames(), ", "))
	}
	if graphEndpoint != "" {
		if err := checkHTTPS("microsoft_graph_endpoint", graphEndpoint); err != nil {
			return Cloud{}, err
		}
		c.GraphEndpoint = strings.TrimRight(graphEndpoint, "/")
	}
	if authorityHost != "" {
		if err := checkHTTPS("active_directory_authority_host", authorityHost); err != nil {
			return Cloud{}, err
		}
		c.AuthorityHost = strings.TrimRight(authorityHost, "/") + "/"
	}
	return c, nil
}

// checkHTTPS refuses anything but an https URL with a host: credentials and
// tokens must never travel in clear text, loopback included.
func checkHTTPS(attribute, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("endpoint.%s must be an https URL such as https://graph.microsoft.com, got %q", attribute, raw)
	}
	return nil
}
