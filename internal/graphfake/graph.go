package graphfake

import (
	"bytes"
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

// Segments below one entity, lowercased for matching.
const (
	segmentAssignments      = "assignments"
	segmentGroupAssignments = "groupassignments"
	segmentAssign           = "assign"
	segmentAssignQualified  = "microsoft.graph.assign"
)

// entitySets are the routes of every entity set the emulator serves.
var entitySets = []*entityRoutes{&configurationRoutes, &mobileAppRoutes}

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
	for _, routes := range entitySets {
		if segs, ok := pathUnder(r.URL.Path, routes.set.path); ok {
			s.serveSet(w, r, routes, segs)
			return
		}
	}
	s.noResource(w, r)
}

// noResource is the 404 of a path the emulator does not serve.
func (s *Server) noResource(w http.ResponseWriter, r *http.Request) {
	s.writeGraphError(w, r, &graphError{status: http.StatusNotFound, code: "ResourceNotFound",
		message: fmt.Sprintf("No resource matches '%s'; graphfake serves %s and %s, each with {id} below.", r.URL.Path, configurationsPath, mobileAppsPath)})
}

// entityRoutes are what one entity set serves: its collection (list and
// create), one entity by id (read, update, delete), and the collections
// (GET) and actions (POST) of one entity.
type entityRoutes struct {
	set          entitySet
	noun         string // the entity, in the error for an id that is not a GUID
	list, create func(*Server, http.ResponseWriter, *http.Request)
	get, update  func(*Server, http.ResponseWriter, *http.Request, string)
	remove       func(*Server, http.ResponseWriter, *http.Request, string)
	below        map[string]route // by lower-case segment
	// deeper serves the other paths below one entity (segs follow the id);
	// nil: there are none.
	deeper func(s *Server, w http.ResponseWriter, r *http.Request, id string, segs []string)
}

// route is a collection or an action of one entity.
type route struct {
	method string
	serve  func(*Server, http.ResponseWriter, *http.Request, string)
}

// serveSet routes a request below an entity set; segs follow its path.
func (s *Server) serveSet(w http.ResponseWriter, r *http.Request, routes *entityRoutes, segs []string) {
	if len(segs) == 0 {
		switch {
		case !s.allowMethod(w, r, http.MethodGet, http.MethodPost):
		case r.Method == http.MethodPost:
			routes.create(s, w, r)
		default:
			routes.list(s, w, r)
		}
		return
	}
	if !IsGUID(segs[0]) {
		s.writeGraphError(w, r, intuneBadRequest("The %s id '%s' is not a valid GUID.", routes.noun, segs[0]))
		return
	}
	id := strings.ToLower(segs[0])
	below, known := routes.below[strings.ToLower(segs[len(segs)-1])]
	switch {
	case len(segs) == 1 && !s.allowMethod(w, r, http.MethodGet, http.MethodPatch, http.MethodDelete):
	case len(segs) == 1 && r.Method == http.MethodGet:
		routes.get(s, w, r, id)
	case len(segs) == 1 && r.Method == http.MethodPatch:
		routes.update(s, w, r, id)
	case len(segs) == 1:
		routes.remove(s, w, r, id)
	case len(segs) == 2 && known:
		if s.allowMethod(w, r, below.method) {
			below.serve(s, w, r, id)
		}
	case routes.deeper != nil:
		routes.deeper(s, w, r, id, segs[1:])
	case len(segs) == 2:
		// What OData answers for a path segment the metadata does not declare.
		s.writeGraphError(w, r, odataBadRequest("Resource not found for the segment '%s'.", segs[1]))
	default:
		s.noResource(w, r)
	}
}

// pathUnder splits what path holds below base; ok is false when path is
// not below base. Graph matches URL segments without regard to case, and so
// does this.
func pathUnder(path, base string) (segs []string, ok bool) {
	want := strings.Split(strings.Trim(base, "/"), "/")
	segs = strings.Split(strings.Trim(path, "/"), "/")
	if len(segs) < len(want) || !segmentsAre(segs[:len(want)], want...) {
		return nil, false
	}
	return segs[len(want):], true
}

// segmentsAre reports whether the URL segments segs are want, in any case.
func segmentsAre(segs []string, want ...string) bool {
	return slices.EqualFunc(segs, want, strings.EqualFold)
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

// assign replaces both collections.
func (s *Server) assign(w http.ResponseWriter, r *http.Request, id string) {
	writeOne(s, w, r, maxRequestBody, parseAssignBody, entry(s.configs, id), func(cfg *configuration, req assignRequest) *graphError {
		cfg.assign(req.groupIDs, req.targets, time.Now(), s.readLagOf(r))
		return nil
	}, func() { w.WriteHeader(http.StatusNoContent) })
}

// readLagOf is how long reads lag behind the write r makes: the fault's
// ReadLag if one applies to r, else the server's; s.mu must be held.
func (s *Server) readLagOf(r *http.Request) time.Duration {
	if d, ok := r.Context().Value(readLagKey{}).(time.Duration); ok {
		return d
	}
	return s.readLag
}

// readJSONBody reads an application/json body of at most limit bytes.
func readJSONBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, *graphError) {
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType != "application/json" {
		return nil, &graphError{status: http.StatusUnsupportedMediaType, code: "UnsupportedMediaType",
			message: "The request body must be application/json."}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
		return nil, &graphError{status: http.StatusRequestEntityTooLarge, code: "RequestEntityTooLarge",
			message: fmt.Sprintf("The request body is larger than %d MiB.", limit>>20)}
	} else if err != nil {
		return nil, odataBadRequest("The request body could not be read: %v", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, odataBadRequest("Empty Payload. JSON content expected.")
	}
	return body, nil
}

// readBody reads a JSON body of at most limit bytes and parses it; when
// either fails it answers the error, and ok is false.
func readBody[T any](s *Server, w http.ResponseWriter, r *http.Request, limit int64, parse func([]byte) (T, *graphError)) (in T, ok bool) {
	body, e := readJSONBody(w, r, limit)
	if e == nil {
		in, e = parse(body)
	}
	if e != nil {
		s.writeGraphError(w, r, e)
	}
	return in, e == nil
}

// writeOne serves a write to one entity, validated in full before anything
// changes, so that a refused request leaves the state as it was: the body
// is read (at most limit bytes) and parsed; then, with s.mu held, lookup
// finds the entity and, if the body was accepted, apply changes it or
// refuses (Intune's checks of what it holds). The answer is 404 when the
// entity does not exist, else the body's or apply's error, else done's.
func writeOne[E, T any](s *Server, w http.ResponseWriter, r *http.Request, limit int64, parse func([]byte) (T, *graphError),
	lookup func() (E, bool), apply func(E, T) *graphError, done func()) {
	body, e := readJSONBody(w, r, limit)
	if e != nil {
		s.writeGraphError(w, r, e)
		return
	}
	in, refused := parse(body)
	s.mu.Lock()
	entity, exists := lookup()
	if exists && refused == nil {
		refused = apply(entity, in)
	}
	s.mu.Unlock()
	switch {
	case !exists:
		s.writeNotFound(w, r)
	case refused != nil:
		s.writeGraphError(w, r, refused)
	default:
		done()
	}
}

// answer answers with status and what render, called with s.mu held,
// gives; or 404 when render says that what was asked for does not exist.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, status int, render func() (any, bool)) {
	s.mu.Lock()
	body, ok := render()
	s.mu.Unlock()
	if !ok {
		s.writeNotFound(w, r)
		return
	}
	writeGraphJSON(w, status, body)
}

// deleteOne serves the DELETE of entity id of m, one of the server's maps:
// 204, or 404 when it does not exist.
func deleteOne[E any](s *Server, w http.ResponseWriter, r *http.Request, m map[string]E, id string) {
	s.mu.Lock()
	_, exists := m[id]
	delete(m, id)
	s.mu.Unlock()
	if !exists {
		s.writeNotFound(w, r)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// entry looks id up in m, one of the server's maps; s.mu must be held when
// it is called.
func entry[E any](m map[string]E, id string) func() (E, bool) {
	return func() (E, bool) {
		e, ok := m[id]
		return e, ok
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
