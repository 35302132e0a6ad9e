package graphfake

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// configurationsPath is the collection every Graph route lives under.
const configurationsPath = "/beta/deviceAppManagement/iosLobAppProvisioningConfigurations"

// maxRequestBody bounds what the emulator reads from a client.
const maxRequestBody = 1 << 20

const (
	configurationODataType   = "#microsoft.graph.iosLobAppProvisioningConfiguration"
	assignmentODataType      = "#microsoft.graph.iosLobAppProvisioningConfigurationAssignment"
	groupAssignmentODataType = "#microsoft.graph.mobileAppProvisioningConfigGroupAssignment"
)

// Sub-resources of a configuration, lowercased for matching.
const (
	segmentAssignments      = "assignments"
	segmentGroupAssignments = "groupassignments"
	segmentAssign           = "assign"
	segmentAssignQualified  = "microsoft.graph.assign"
)

// parseConfigurationPath splits {configurationsPath}[/{id}[/{segment}]];
// id is "" for the collection itself. Graph matches URL segments
// case-insensitively, so this does too.
func parseConfigurationPath(path string) (id, segment string, ok bool) {
	want := strings.Split(strings.Trim(configurationsPath, "/"), "/")
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if len(segs) < len(want) || len(segs) > len(want)+2 {
		return "", "", false
	}
	for i, w := range want {
		if !strings.EqualFold(segs[i], w) {
			return "", "", false
		}
	}
	if len(segs) > len(want) {
		id = segs[len(want)]
	}
	if len(segs) == len(want)+2 {
		segment = strings.ToLower(segs[len(want)+1])
	}
	return id, segment, true
}

func (s *Server) serveGraph(w http.ResponseWriter, r *http.Request) {
	// Graph authenticates before it routes: even unknown paths answer 401.
	principal, problem := s.bearerTokenProblem(r)
	if rec, ok := w.(*statusRecorder); ok {
		rec.principal = principal
	}
	if problem != "" {
		s.writeUnauthorized(w, r, problem)
		return
	}
	// Throttling is counted per application, so it comes after authentication.
	if s.throttled(w, r, principal) {
		return
	}

	if segs, ok := parseMobileAppsPath(r.URL.Path); ok {
		s.serveMobileApps(w, r, segs)
		return
	}
	id, segment, ok := parseConfigurationPath(r.URL.Path)
	if !ok {
		s.writeGraphError(w, r, &graphError{status: http.StatusNotFound, code: "ResourceNotFound",
			message: fmt.Sprintf("No resource matches '%s'; graphfake serves %s, %s/{id} and its assignments, groupAssignments and assign.", r.URL.Path, configurationsPath, configurationsPath)})
		return
	}
	if id == "" {
		s.serveConfigurations(w, r)
		return
	}
	if !IsGUID(id) {
		s.writeGraphError(w, r, intuneBadRequest("The configuration id '%s' is not a valid GUID.", id))
		return
	}
	id = strings.ToLower(id)

	switch segment {
	case "":
		s.serveConfiguration(w, r, id)
	case segmentAssignments:
		if s.allowMethod(w, r, http.MethodGet) {
			s.listCollection(w, r, id, "assignments", (*assignmentSet).assignmentsJSON)
		}
	case segmentGroupAssignments:
		if s.allowMethod(w, r, http.MethodGet) {
			s.listCollection(w, r, id, "groupAssignments", (*assignmentSet).groupAssignmentsJSON)
		}
	case segmentAssign, segmentAssignQualified:
		if s.allowMethod(w, r, http.MethodPost) {
			s.assign(w, r, id)
		}
	default:
		// What OData answers for a path segment the metadata does not declare.
		s.writeGraphError(w, r, odataBadRequest("Resource not found for the segment '%s'.", originalSegment(r.URL.Path, segment)))
	}
}

// originalSegment is the last segment of path as the client spelled it;
// lower is its lower-case form.
func originalSegment(path, lower string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if last := segs[len(segs)-1]; strings.EqualFold(last, lower) {
		return last
	}
	return lower
}

// writeUnauthorized answers 401 the way Graph does, with a challenge that
// tells the client where to get a token.
func (s *Server) writeUnauthorized(w http.ResponseWriter, r *http.Request, problem string) {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="", authorization_uri="%s/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`, s.url))
	s.writeGraphError(w, r, &graphError{status: http.StatusUnauthorized, code: "InvalidAuthenticationToken", message: problem})
}

// allowMethod answers 405 unless the request uses one of methods. Only the
// calls the provider needs exist; anything else is a client bug here.
func (s *Server) allowMethod(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	if slices.Contains(methods, r.Method) {
		return true
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	s.writeGraphError(w, r, &graphError{status: http.StatusMethodNotAllowed, code: "MethodNotAllowed",
		message: fmt.Sprintf("The HTTP method '%s' is not allowed on '%s'; use %s.", r.Method, r.URL.Path, strings.Join(methods, " or "))})
	return false
}

// collectionPage is one page of a collection read.
type collectionPage struct {
	Context  string `json:"@odata.context"`
	Value    []any  `json:"value"`
	NextLink string `json:"@odata.nextLink,omitempty"`
}

// listCollection serves one page of a configuration's collection. The
// $skiptoken is an opaque offset; nextLink is absolute so clients can follow
// it verbatim.
func (s *Server) listCollection(w http.ResponseWriter, r *http.Request, id, name string, items func(*assignmentSet) []any) {
	offset, err := decodeSkipToken(r.URL.Query().Get("$skiptoken"))
	if err != nil {
		s.writeGraphError(w, r, &graphError{status: http.StatusBadRequest, code: "BadRequest",
			message: "The $skiptoken value is invalid."})
		return
	}

	s.mu.Lock()
	cfg, ok := s.configs[id]
	var all []any
	if ok {
		all = items(cfg.visible(time.Now()))
	}
	pageSize := s.pageSize
	s.mu.Unlock()

	if !ok {
		s.writeNotFound(w, r)
		return
	}
	offset = min(offset, len(all))
	end := min(offset+pageSize, len(all))
	page := collectionPage{
		Context: fmt.Sprintf("%s/beta/$metadata#deviceAppManagement/iosLobAppProvisioningConfigurations('%s')/%s", s.url, id, name),
		Value:   append([]any{}, all[offset:end]...), // never null
	}
	if end < len(all) {
		page.NextLink = fmt.Sprintf("%s%s/%s/%s?$skiptoken=%s", s.url, configurationsPath, id, name, encodeSkipToken(end))
	}
	writeGraphJSON(w, http.StatusOK, page)
}

func encodeSkipToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(offset)))
}

func decodeSkipToken(token string) (int, error) {
	if token == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return 0, err
	}
	n, ok := strings.CutPrefix(string(raw), "offset:")
	if !ok {
		return 0, fmt.Errorf("malformed skiptoken")
	}
	offset, err := strconv.Atoi(n)
	if err != nil || offset < 0 {
		return 0, fmt.Errorf("malformed skiptoken")
	}
	return offset, nil
}

// assign replaces both collections. The body is validated in full before
// anything changes, so a rejected request leaves the state as it was.
func (s *Server) assign(w http.ResponseWriter, r *http.Request, id string) {
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType != "application/json" {
		s.writeGraphError(w, r, &graphError{status: http.StatusUnsupportedMediaType, code: "UnsupportedMediaType",
			message: "The request body must be application/json."})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
		s.writeGraphError(w, r, &graphError{status: http.StatusRequestEntityTooLarge, code: "RequestEntityTooLarge",
			message: "The request body is too large."})
		return
	} else if err != nil {
		s.writeGraphError(w, r, odataBadRequest("The request body could not be read: %v", err))
		return
	}
	assignments, parseErr := parseAssignBody(body)

	s.mu.Lock()
	cfg, exists := s.configs[id]
	if exists && parseErr == nil {
		lag := s.readLag
		if d, ok := r.Context().Value(readLagKey{}).(time.Duration); ok {
			lag = d
		}
		cfg.assign(assignments.groupIDs, assignments.targets, time.Now(), lag)
	}
	s.mu.Unlock()

	s.answerWrite(w, r, exists, parseErr, func() { w.WriteHeader(http.StatusNoContent) })
}

// answerWrite answers a write to one configuration: 404 when it does not
// exist, the body's error when the body was refused, else success.
func (s *Server) answerWrite(w http.ResponseWriter, r *http.Request, exists bool, bodyErr *graphError, success func()) {
	switch {
	case !exists:
		s.writeNotFound(w, r)
	case bodyErr != nil:
		s.writeGraphError(w, r, bodyErr)
	default:
		success()
	}
}

// graphError is a Graph error response.
type graphError struct {
	status  int
	code    string
	message string
	// intune wraps message in the JSON envelope Intune puts inside Graph's
	// "message", so clients learn to cope with it.
	intune bool
	// retryAfter, when > 0, is echoed in Intune's envelope (the header is set separately).
	retryAfter int
}

func intuneBadRequest(format string, args ...any) *graphError {
	return &graphError{status: http.StatusBadRequest, code: "BadRequest", message: fmt.Sprintf(format, args...), intune: true}
}

func odataBadRequest(format string, args ...any) *graphError {
	return &graphError{status: http.StatusBadRequest, code: "BadRequest", message: fmt.Sprintf(format, args...)}
}

func (s *Server) writeNotFound(w http.ResponseWriter, r *http.Request) {
	s.writeGraphError(w, r, &graphError{status: http.StatusNotFound, code: "ResourceNotFound", message: "Resource not found", intune: true})
}

// intuneMessage is the envelope Intune serialises into Graph's error message.
type intuneMessage struct {
	Version              int    `json:"_version"`
	Message              string `json:"Message"`
	CustomAPIErrorPhrase string `json:"CustomApiErrorPhrase"`
	RetryAfter           *int   `json:"RetryAfter"`
	ErrorSourceService   string `json:"ErrorSourceService"`
	HTTPHeaders          string `json:"HttpHeaders"`
}

func (s *Server) writeGraphError(w http.ResponseWriter, r *http.Request, e *graphError) {
	requestID := w.Header().Get("request-id")
	message := e.message
	if e.intune {
		envelope := intuneMessage{
			Version: 3,
			Message: fmt.Sprintf("%s - Operation ID (for customer support): %s - Activity ID: %s - Url: %s%s",
				e.message, newGUID(), requestID, s.url, r.URL.RequestURI()),
			HTTPHeaders: "{}",
		}
		if e.retryAfter > 0 {
			envelope.RetryAfter = &e.retryAfter
		}
		b, _ := json.Marshal(envelope)
		message = string(b)
	}
	writeJSON(w, e.status, map[string]any{
		"error": map[string]any{
			"code":    e.code,
			"message": message,
			"innerError": map[string]any{
				"date":              time.Now().UTC().Format("2006-01-02T15:04:05"),
				"request-id":        requestID,
				"client-request-id": w.Header().Get("client-request-id"),
			},
		},
	})
}

// writeGraphJSON uses the content type Graph sends for OData payloads.
func writeGraphJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
	writeJSONBody(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	writeJSONBody(w, status, body)
}

func writeJSONBody(w http.ResponseWriter, status int, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		http.Error(w, "graphfake: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
