package graphfake

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/intunetf/terraform-provider-intune/internal/text"
)

// An app's content: {app}/microsoft.graph.iosLobApp/contentVersions, their
// files, and the files' upload states (enum mobileAppContentFileUploadState).
// The flow is Graph's "upload a line-of-business app" as DESIGN.md "The
// in-house app" lists it: a file entry asks for a SAS URL, the client
// uploads the encrypted file to it (renewing the SAS when it nears its
// expiry), then commits it with its fileEncryptionInfo, and polls each
// step's state with GET.

// Upload states of a content file.
const (
	UploadSASRequestPending = "azureStorageUriRequestPending"
	UploadSASRequestSuccess = "azureStorageUriRequestSuccess"
	UploadSASRequestFailed  = "azureStorageUriRequestFailed"
	UploadRenewalPending    = "azureStorageUriRenewalPending"
	UploadRenewalSuccess    = "azureStorageUriRenewalSuccess"
	UploadRenewalFailed     = "azureStorageUriRenewalFailed"
	UploadCommitPending     = "commitFilePending"
	UploadCommitSuccess     = "commitFileSuccess"
	UploadCommitFailed      = "commitFileFailed"
)

const (
	contentVersionODataType = "#microsoft.graph.mobileAppContent"
	contentFileODataType    = "#microsoft.graph.mobileAppContentFile"
	encryptionInfoODataType = "#microsoft.graph.fileEncryptionInfo"
)

// AppFaults are test switches for one app's content files, so that tests
// in parallel do not see each other's faults.
type AppFaults struct {
	// FailCommit ends every commit in commitFileFailed, whatever was uploaded.
	FailCommit bool
	// CommitPendingForever keeps every commit in commitFilePending.
	CommitPendingForever bool
	// FailSASRequest ends a new file's SAS request in azureStorageUriRequestFailed.
	FailSASRequest bool
	// FailSASRenewal ends every renewUpload in azureStorageUriRenewalFailed.
	FailSASRenewal bool
	// PendingPolls keeps each pending state (SAS request, renewal, commit)
	// for this many more GETs of the file than it needs.
	PendingPolls int
}

// contentVersion is one mobileAppContent of an app.
type contentVersion struct {
	id    string
	files []*contentFile
}

func (v *contentVersion) entityJSON() map[string]any {
	return map[string]any{"@odata.type": contentVersionODataType, "id": v.id}
}

func (v *contentVersion) file(id string) *contentFile {
	for _, f := range v.files {
		if f.id == id {
			return f
		}
	}
	return nil
}

// contentFile is one mobileAppContentFile and where its upload is.
type contentFile struct {
	id            string
	name          string
	size          int64
	sizeEncrypted int64
	manifest      []byte
	isDependency  bool
	created       time.Time

	uploadState  string
	isCommitted  bool
	pendingPolls int // GETs left that keep the present pending state
	sasURI       string
	sasExpiry    time.Time
	container    string
	blob         string

	checked  bool   // the commit check has finished
	failure  string // why the commit failed ("" when it succeeded)
	digest   []byte // SHA-256 of the plaintext, once committed
	checkRan bool   // the commit check read the blob (not a test switch)
}

func (f *contentFile) entityJSON() map[string]any {
	e := map[string]any{
		"@odata.type":                       contentFileODataType,
		"id":                                f.id,
		"name":                              f.name,
		"size":                              f.size,
		"sizeEncrypted":                     f.sizeEncrypted,
		"manifest":                          nil,
		"isDependency":                      f.isDependency,
		"isFrameworkFile":                   false,
		"isCommitted":                       f.isCommitted,
		"createdDateTime":                   f.created,
		"uploadState":                       f.uploadState,
		"uploadErrorCode":                   nil, // its members are all Android's
		"azureStorageUri":                   nil,
		"azureStorageUriExpirationDateTime": nil,
	}
	if f.manifest != nil {
		e["manifest"] = base64.StdEncoding.EncodeToString(f.manifest)
	}
	if f.sasURI != "" {
		e["azureStorageUri"] = f.sasURI
		e["azureStorageUriExpirationDateTime"] = f.sasExpiry
	}
	return e
}

// contentContext is the @odata.context base of an app's content routes.
func (s *Server) contentContext(appID string) string {
	return fmt.Sprintf("%s('%s')/%s/contentVersions", mobileAppSet.contextURL(s.url), appID, iosLobAppCast)
}

// serveAppContent routes {app}/microsoft.graph.iosLobApp/...; segs follow the cast.
func (s *Server) serveAppContent(w http.ResponseWriter, r *http.Request, appID string, segs []string) {
	if len(segs) == 0 || !strings.EqualFold(segs[0], "contentVersions") {
		name := iosLobAppCast
		if len(segs) > 0 {
			name = segs[0]
		}
		s.writeGraphError(w, r, odataBadRequest("Resource not found for the segment '%s'.", name))
		return
	}
	if e := noQueryOptions(r); e != nil {
		s.writeGraphError(w, r, e)
		return
	}
	switch {
	case len(segs) == 1:
		if s.allowMethod(w, r, http.MethodPost, http.MethodGet) {
			if r.Method == http.MethodPost {
				s.createContentVersion(w, r, appID)
			} else {
				s.listContent(w, r, appID, "", s.contentContext(appID))
			}
		}
	case len(segs) == 2:
		if s.allowMethod(w, r, http.MethodGet) {
			s.getContentVersion(w, r, appID, segs[1])
		}
	case len(segs) == 3 && strings.EqualFold(segs[2], "files"):
		if s.allowMethod(w, r, http.MethodPost, http.MethodGet) {
			if r.Method == http.MethodPost {
				s.createContentFile(w, r, appID, segs[1])
			} else {
				s.listContent(w, r, appID, segs[1], fmt.Sprintf("%s('%s')/files", s.contentContext(appID), segs[1]))
			}
		}
	case len(segs) == 4 && strings.EqualFold(segs[2], "files"):
		if s.allowMethod(w, r, http.MethodGet) {
			s.getContentFile(w, r, appID, segs[1], strings.ToLower(segs[3]))
		}
	case len(segs) == 5 && strings.EqualFold(segs[2], "files"):
		action := strings.TrimPrefix(strings.ToLower(segs[4]), "microsoft.graph.")
		switch action {
		case "commit", "renewupload":
			if s.allowMethod(w, r, http.MethodPost) {
				s.fileAction(w, r, appID, segs[1], strings.ToLower(segs[3]), action)
			}
		default:
			s.writeGraphError(w, r, odataBadRequest("Resource not found for the segment '%s'.", segs[4]))
		}
	default:
		s.writeGraphError(w, r, odataBadRequest("Resource not found for the segment '%s'.", segs[len(segs)-1]))
	}
}

// contentVersionShape is a mobileAppContent as a client creates it: an
// empty object (every client sends {}), or one that names its type.
var contentVersionShape = objectShape{odataType: contentVersionODataType, typeOptional: true, properties: []string{"id"}}

// contentFileShape is a mobileAppContentFile. Bodies may carry its
// read-only properties (clients echo entities back); they are ignored, as
// Intune ignores them.
var contentFileShape = objectShape{odataType: contentFileODataType, typeOptional: true, properties: []string{
	"id", "name", "size", "sizeEncrypted", "manifest", "isDependency", "isFrameworkFile",
	"azureStorageUri", "azureStorageUriExpirationDateTime", "createdDateTime", "isCommitted", "uploadState", "uploadErrorCode",
}}

// encryptionInfoShape is a fileEncryptionInfo, every property nullable.
var encryptionInfoShape = objectShape{odataType: encryptionInfoODataType, typeOptional: true, properties: []string{
	"encryptionKey", "macKey", "initializationVector", "mac", "fileDigest", "fileDigestAlgorithm", "profileIdentifier",
}}

// lookupContent finds an app, one of its versions and one of its files;
// version or file "" is not looked up. s.mu must be held. The error is the
// 404 to answer.
func (s *Server) lookupContent(appID, versionID, fileID string) (*iosLobApp, *contentVersion, *contentFile, bool) {
	a, ok := s.mobileApps[appID]
	if !ok {
		return nil, nil, nil, false
	}
	if versionID == "" {
		return a, nil, nil, true
	}
	v := a.contentVersion(versionID)
	if v == nil {
		return nil, nil, nil, false
	}
	if fileID == "" {
		return a, v, nil, true
	}
	f := v.file(fileID)
	return a, v, f, f != nil
}

func (s *Server) createContentVersion(w http.ResponseWriter, r *http.Request, appID string) {
	if _, ok := readBody(s, w, r, maxEntityBody, contentVersionShape.body); !ok {
		return
	}
	s.answer(w, r, http.StatusCreated, func() (any, bool) {
		a, ok := s.mobileApps[appID]
		if !ok {
			return nil, false
		}
		// Ids are "1", "2", ... per app (the id every client reads back).
		v := &contentVersion{id: strconv.Itoa(len(a.contentVersions) + 1)}
		a.contentVersions = append(a.contentVersions, v)
		return s.contentVersionJSON(appID, v), true
	})
}

func (s *Server) getContentVersion(w http.ResponseWriter, r *http.Request, appID, versionID string) {
	s.answer(w, r, http.StatusOK, func() (any, bool) {
		_, v, _, ok := s.lookupContent(appID, versionID, "")
		if !ok {
			return nil, false
		}
		return s.contentVersionJSON(appID, v), true
	})
}

// contentVersionJSON is one content version of an app, as an answer.
func (s *Server) contentVersionJSON(appID string, v *contentVersion) map[string]any {
	entity := v.entityJSON()
	entity["@odata.context"] = s.contentContext(appID) + "/$entity"
	return entity
}

// contentFileJSON is one content file of an app, as an answer.
func (s *Server) contentFileJSON(appID, versionID string, f *contentFile) map[string]any {
	entity := f.entityJSON()
	entity["@odata.context"] = fmt.Sprintf("%s('%s')/files/$entity", s.contentContext(appID), versionID)
	return entity
}

// listContent answers the versions of an app (versionID "") or the files
// of a version, in one page: there are a handful at most.
func (s *Server) listContent(w http.ResponseWriter, r *http.Request, appID, versionID, context string) {
	s.answer(w, r, http.StatusOK, func() (any, bool) {
		a, v, _, ok := s.lookupContent(appID, versionID, "")
		page := collectionPage{Context: context, Value: []any{}}
		switch {
		case ok && v == nil:
			for _, cv := range a.contentVersions {
				page.Value = append(page.Value, cv.entityJSON())
			}
		case ok:
			for _, f := range v.files {
				page.Value = append(page.Value, f.entityJSON())
			}
		}
		return page, ok
	})
}

// createContentFile adds a file entry; its SAS URL comes on a later GET.
func (s *Server) createContentFile(w http.ResponseWriter, r *http.Request, appID, versionID string) {
	f, ok := readBody(s, w, r, maxEntityBody, parseContentFileBody)
	if !ok {
		return
	}
	s.answer(w, r, http.StatusCreated, func() (any, bool) {
		a, v, _, ok := s.lookupContent(appID, versionID, "")
		if !ok {
			return nil, false
		}
		f.id = newGUID()
		f.created = time.Now().UTC()
		f.uploadState = UploadSASRequestPending
		f.pendingPolls = a.faults.PendingPolls
		// A container per app, a blob per file (Intune's own naming is not
		// documented).
		f.container, f.blob = a.id, f.id+".bin"
		v.files = append(v.files, f)
		return s.contentFileJSON(appID, versionID, f), true
	})
}

// parseContentFileBody validates a file entry against mobileAppContentFile.
// Nobody documents which properties Graph requires; the emulator requires
// what every iOS client sends (name, size, sizeEncrypted, manifest), as
// DESIGN.md asks it to be strict where the service is undocumented.
func parseContentFileBody(body []byte) (*contentFile, *graphError) {
	props, e := contentFileShape.body(body)
	if e != nil {
		return nil, e
	}
	f := &contentFile{}
	seen := map[string]bool{}
	for _, k := range sortedKeys(props) {
		raw := props[k]
		seen[k] = !isNull(raw)
		switch k {
		case "name":
			p, e := optionalString(props, k, true)
			if e != nil {
				return nil, e
			}
			if p != nil {
				f.name = *p
			}
		case "size", "sizeEncrypted":
			var n int64
			if isNull(raw) || !bytes.ContainsAny(raw[:1], "-0123456789") || json.Unmarshal(raw, &n) != nil {
				return nil, odataBadRequest("Cannot convert the literal %s to the expected type 'Edm.Int64' (property '%s').", text.Truncate(string(raw), 40), k)
			}
			if n < 0 {
				return nil, intuneBadRequest("%s must not be negative.", k)
			}
			if k == "size" {
				f.size = n
			} else {
				f.sizeEncrypted = n
			}
		case "manifest":
			if !isNull(raw) {
				b, e := decodeBinary(raw, k)
				if e != nil {
					return nil, e
				}
				f.manifest = b
			}
		case "isDependency", "isFrameworkFile":
			var b bool
			if e := decodeBool(raw, k, &b); e != nil {
				return nil, e
			}
			if k == "isDependency" {
				f.isDependency = b
			}
		}
	}
	for _, k := range []string{"name", "size", "sizeEncrypted", "manifest"} {
		if !seen[k] {
			return nil, intuneBadRequest("%s is required for an iOS app's content file.", k)
		}
	}
	if f.name == "" || len(f.manifest) == 0 {
		return nil, intuneBadRequest("name and manifest must not be empty.")
	}
	return f, nil
}

// getContentFile answers the file after moving it along its states: a
// pending state that has waited its polls ends on this GET.
func (s *Server) getContentFile(w http.ResponseWriter, r *http.Request, appID, versionID, fileID string) {
	s.mu.Lock()
	a, _, f, ok := s.lookupContent(appID, versionID, fileID)
	var st *Storage
	needsContainer := false
	if ok && f.uploadState == UploadSASRequestPending && f.pendingPolls <= 0 && !a.faults.FailSASRequest && s.storage != nil {
		st, needsContainer = s.storage, true
	}
	container := ""
	if ok {
		container = f.container
	}
	s.mu.Unlock()
	if !ok {
		s.writeNotFound(w, r)
		return
	}

	// The container is made with the account key on first use, outside
	// the lock: it is a round trip to Storage.
	var containerErr error
	if needsContainer {
		containerErr = s.ensureContainer(r.Context(), *st, container)
	}

	s.answer(w, r, http.StatusOK, func() (any, bool) {
		a, _, f, ok := s.lookupContent(appID, versionID, fileID)
		if !ok {
			return nil, false
		}
		s.advanceFile(a, f, containerErr)
		return s.contentFileJSON(appID, versionID, f), true
	})
}

// advanceFile is one poll of f; s.mu must be held.
func (s *Server) advanceFile(a *iosLobApp, f *contentFile, containerErr error) {
	switch f.uploadState {
	case UploadSASRequestPending, UploadRenewalPending, UploadCommitPending:
	default:
		return
	}
	if f.pendingPolls > 0 {
		f.pendingPolls--
		return
	}
	switch f.uploadState {
	case UploadSASRequestPending:
		// Without Storage there is nowhere to upload to: the request fails,
		// as the metadata's azureStorageUriRequestFailed says.
		switch {
		case a.faults.FailSASRequest:
			f.uploadState = UploadSASRequestFailed
		case s.storage == nil:
			f.uploadState = UploadSASRequestFailed
			f.failure = "graphfake has no Storage configured (Options.Storage, SetStorage)"
		case containerErr != nil:
			f.uploadState = UploadSASRequestFailed
			f.failure = "creating the container: " + containerErr.Error()
		default:
			s.issueSAS(f, UploadSASRequestSuccess)
		}
	case UploadRenewalPending:
		if a.faults.FailSASRenewal || s.storage == nil {
			f.uploadState = UploadRenewalFailed
			return
		}
		s.issueSAS(f, UploadRenewalSuccess)
	case UploadCommitPending:
		if a.faults.CommitPendingForever || !f.checked {
			return
		}
		if f.failure != "" {
			f.uploadState = UploadCommitFailed
			a.commitFailure = f.failure
			return
		}
		f.uploadState, f.isCommitted = UploadCommitSuccess, true
	}
}

// issueSAS gives f a new SAS URL with a later expiry; s.mu must be held.
func (s *Server) issueSAS(f *contentFile, state string) {
	expiry := time.Now().UTC().Add(s.sasLifetime).Truncate(time.Second) // SAS times have whole seconds
	if !expiry.After(f.sasExpiry) {
		expiry = f.sasExpiry.Add(time.Second) // a renewed SAS is always a new one
	}
	uri, err := signSAS(*s.storage, f.container, f.blob, expiry)
	if err != nil {
		f.uploadState = UploadSASRequestFailed
		if state == UploadRenewalSuccess {
			f.uploadState = UploadRenewalFailed
		}
		f.failure = "signing the SAS: " + err.Error()
		return
	}
	f.sasURI, f.sasExpiry, f.uploadState = uri, expiry, state
}

// fileAction serves renewUpload and commit.
func (s *Server) fileAction(w http.ResponseWriter, r *http.Request, appID, versionID, fileID, action string) {
	var info *encryptionInfo
	if action == "commit" {
		var ok bool
		if info, ok = readBody(s, w, r, maxEntityBody, parseCommitBody); !ok {
			return
		}
	} else if e := emptyActionBody(r); e != nil {
		s.writeGraphError(w, r, e)
		return
	}

	s.mu.Lock()
	a, _, f, ok := s.lookupContent(appID, versionID, fileID)
	var refused *graphError
	var check *commitCheck
	switch {
	case !ok:
	case f.uploadState != UploadSASRequestSuccess && f.uploadState != UploadRenewalSuccess:
		// Both actions need a SAS that was issued and a file not yet
		// committed; what Intune answers otherwise is not documented.
		refused = intuneBadRequest("The file is in state %s; %s needs %s or %s.", f.uploadState, action, UploadSASRequestSuccess, UploadRenewalSuccess)
	case action == "renewupload":
		f.uploadState, f.pendingPolls = UploadRenewalPending, a.faults.PendingPolls
	default:
		f.uploadState, f.pendingPolls = UploadCommitPending, a.faults.PendingPolls
		f.checked, f.failure, f.checkRan = false, "", false
		switch {
		case a.faults.FailCommit:
			f.checked, f.failure = true, "failed by the test switch AppFaults.FailCommit"
		case a.faults.CommitPendingForever:
		default:
			check = &commitCheck{storage: *s.storage, container: f.container, blob: f.blob,
				size: f.size, sizeEncrypted: f.sizeEncrypted, bundleID: a.str("bundleId"), info: *info}
		}
	}
	s.mu.Unlock()
	switch {
	case !ok:
		s.writeNotFound(w, r)
		return
	case refused != nil:
		s.writeGraphError(w, r, refused)
		return
	}
	if check != nil {
		// Intune checks a commit in the background, so GETs answer
		// commitFilePending until the check (reading the whole blob back)
		// has finished.
		go s.runCommitCheck(appID, versionID, fileID, check)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) runCommitCheck(appID, versionID, fileID string, c *commitCheck) {
	digest, failure := c.run(s.background, s.client)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, _, f, ok := s.lookupContent(appID, versionID, fileID); ok && f.uploadState == UploadCommitPending {
		f.checked, f.checkRan, f.failure, f.digest = true, true, failure, digest
	}
}

// emptyActionBody accepts the body of an action without parameters: none,
// or an empty JSON object.
func emptyActionBody(r *http.Request) *graphError {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(http.MaxBytesReader(nil, r.Body, 1<<10)); err != nil {
		return odataBadRequest("The request body could not be read: %v", err)
	}
	b := bytes.TrimSpace(buf.Bytes())
	if len(b) == 0 {
		return nil
	}
	if props, err := decodeObject(b); err != nil || len(props) > 0 {
		return odataBadRequest("The action 'renewUpload' takes no parameters; the body must be empty or {}.")
	}
	return nil
}

// encryptionInfo is a commit's fileEncryptionInfo (all nullable in the metadata).
type encryptionInfo struct {
	encryptionKey, macKey, initializationVector, mac, fileDigest []byte
	fileDigestAlgorithm, profileIdentifier                       string
}

// parseCommitBody validates a commit body against the metadata's commit
// action: one parameter, fileEncryptionInfo, of its complex type. Values
// that are well typed but wrong (keys, digest) are for the commit check,
// which ends in commitFileFailed, as Intune's asynchronous check does.
func parseCommitBody(body []byte) (*encryptionInfo, *graphError) {
	params, e := actionParameters(body, "commit", "fileEncryptionInfo")
	if e != nil {
		return nil, e
	}
	if isNull(params["fileEncryptionInfo"]) {
		return nil, odataBadRequest("The parameter 'fileEncryptionInfo' of the operation 'commit' is missing from the request payload.")
	}
	props, e := encryptionInfoShape.entity(params["fileEncryptionInfo"], "fileEncryptionInfo")
	if e != nil {
		return nil, e
	}
	info := &encryptionInfo{}
	binary := map[string]*[]byte{
		"encryptionKey": &info.encryptionKey, "macKey": &info.macKey, "initializationVector": &info.initializationVector,
		"mac": &info.mac, "fileDigest": &info.fileDigest,
	}
	strs := map[string]*string{"fileDigestAlgorithm": &info.fileDigestAlgorithm, "profileIdentifier": &info.profileIdentifier}
	for _, k := range sortedKeys(props) {
		v := props[k]
		switch {
		case binary[k] != nil:
			if isNull(v) {
				continue
			}
			b, e := decodeBinary(v, k)
			if e != nil {
				return nil, e
			}
			*binary[k] = b
		case strs[k] != nil:
			p, e := optionalString(props, k, true)
			if e != nil {
				return nil, e
			}
			if p != nil {
				*strs[k] = *p
			}
		}
	}
	return info, nil
}
