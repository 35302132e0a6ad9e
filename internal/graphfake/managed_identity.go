package graphfake

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultManagedIdentityClientID is the client id of the system-assigned
// managed identity of the emulated host.
const DefaultManagedIdentityClientID = "44444444-4444-4444-4444-444444444444"

// ManagedIdentityEndpoint is what App Service and Container Apps put in
// IDENTITY_ENDPOINT for the managed identity token service.
func (s *Server) ManagedIdentityEndpoint() string { return s.url + managedIdentPath }

// ManagedIdentityHeader is what they put in IDENTITY_HEADER; requests must
// echo it in X-IDENTITY-HEADER.
func (s *Server) ManagedIdentityHeader() string { return s.msiHeader }

// AddManagedIdentity assigns a user-assigned managed identity to the
// emulated host, so that token requests naming its client id succeed.
func (s *Server) AddManagedIdentity(clientID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.managedIdentities[strings.ToLower(clientID)] = true
}

// serveManagedIdentityToken answers like the App Service identity endpoint
// (api-version 2019-08-01): GET ?resource=..[&client_id=..] with
// X-IDENTITY-HEADER; the token's expires_on is a Unix time in a string.
func (s *Server) serveManagedIdentityToken(w http.ResponseWriter, r *http.Request) {
	if h := r.Header.Get("X-IDENTITY-HEADER"); h == "" || h != s.msiHeader {
		writeManagedIdentityError(w, http.StatusUnauthorized, "The X-IDENTITY-HEADER header is missing or does not match IDENTITY_HEADER.")
		return
	}
	q := r.URL.Query()
	if v := q.Get("api-version"); v != "2019-08-01" {
		writeManagedIdentityError(w, http.StatusBadRequest, fmt.Sprintf("The api-version '%s' is not supported; use 2019-08-01.", v))
		return
	}
	resource := q.Get("resource")
	if resource == "" {
		writeManagedIdentityError(w, http.StatusBadRequest, "The resource parameter is required.")
		return
	}
	// Entra takes the resource with or without a trailing slash; the token is for Graph only.
	if strings.TrimSuffix(resource, "/") != s.url {
		writeManagedIdentityError(w, http.StatusBadRequest,
			fmt.Sprintf("AADSTS500011: The resource principal named %s was not found in the tenant named %s.", resource, s.opts.TenantID))
		return
	}
	clientID := DefaultManagedIdentityClientID
	if id := q.Get("client_id"); id != "" {
		s.mu.Lock()
		assigned := s.managedIdentities[strings.ToLower(id)]
		s.mu.Unlock()
		if !assigned {
			writeManagedIdentityError(w, http.StatusBadRequest,
				fmt.Sprintf("Unable to load the proper Managed Identity: no identity with client id '%s' is assigned to this resource.", id))
			return
		}
		clientID = id
	}
	if q.Has("mi_res_id") || q.Has("principal_id") || q.Has("object_id") {
		writeManagedIdentityError(w, http.StatusBadRequest, "graphfake selects user-assigned identities by client_id only.")
		return
	}

	token, lifetime := s.issueToken(clientID)
	w.Header().Set("Cache-Control", "no-store, no-cache")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": token,
		"expires_on":   strconv.FormatInt(time.Now().Add(lifetime).Unix(), 10),
		"resource":     resource,
		"token_type":   "Bearer",
		"client_id":    clientID,
	})
}

func writeManagedIdentityError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]any{"statusCode": status, "message": message, "correlationId": newGUID()})
}
