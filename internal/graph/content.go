package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"howett.net/plist"
)

// Upload states of a content file (mobileAppContentFileUploadState) that
// the upload waits for.
const (
	uploadStateURIRequest = "azureStorageUriRequest"
	uploadStateRenewal    = "azureStorageUriRenewal"
	uploadStateCommit     = "commitFile"

	// UploadStateCommitFileFailed is the state of a file Intune refused.
	UploadStateCommitFileFailed = "commitFileFailed"
)

// contentFile is a mobileAppContentFile as Graph answers it. Its
// azureStorageUri carries the SAS signature: it is never logged or put in
// an error.
type contentFile struct {
	ID                                string     `json:"id"`
	Name                              string     `json:"name"`
	Size                              int64      `json:"size"`
	SizeEncrypted                     int64      `json:"sizeEncrypted"`
	UploadState                       string     `json:"uploadState"`
	UploadErrorCode                   *string    `json:"uploadErrorCode"`
	AzureStorageURI                   *string    `json:"azureStorageUri"`
	AzureStorageURIExpirationDateTime *time.Time `json:"azureStorageUriExpirationDateTime"`
	IsCommitted                       bool       `json:"isCommitted"`
}

func (f *contentFile) sas() string {
	if f.AzureStorageURI == nil {
		return ""
	}
	return *f.AzureStorageURI
}

func (f *contentFile) expires() time.Time {
	if f.AzureStorageURIExpirationDateTime == nil {
		return time.Time{}
	}
	return *f.AzureStorageURIExpirationDateTime
}

// contentVersionsURL has the type-cast segment Graph requires: without it
// Graph answers 400 "Resource not found for the segment 'contentVersions'"
// (microsoft-graph-docs issue 4882).
func (c *Client) contentVersionsURL(appID string) string {
	return c.mobileAppURL(appID) + "/microsoft.graph.iosLobApp/contentVersions"
}

// createContentVersion posts an empty mobileAppContent and returns its id.
func (c *Client) createContentVersion(ctx context.Context, appID string) (string, error) {
	body, req, err := c.send(ctx, http.MethodPost, c.contentVersionsURL(appID), struct{}{}, http.StatusCreated, http.StatusOK)
	if err != nil {
		return "", err
	}
	var v struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &v); err != nil || v.ID == "" {
		return "", fmt.Errorf("the response of POST %s has no content version id", req.Raw().URL.Path)
	}
	return v.ID, nil
}

// contentFileRequest is the body of POST .../contentVersions/{v}/files.
type contentFileRequest struct {
	ODataType     string `json:"@odata.type"`
	Name          string `json:"name"`
	Size          int64  `json:"size"`
	SizeEncrypted int64  `json:"sizeEncrypted"`
	Manifest      []byte `json:"manifest"` // Edm.Binary: standard base64
	IsDependency  bool   `json:"isDependency"`
}

// createContentFile posts the file entry and returns the URL of the file.
func (c *Client) createContentFile(ctx context.Context, appID, version string, f contentFileRequest) (string, *contentFile, error) {
	f.ODataType = "#microsoft.graph.mobileAppContentFile"
	filesURL := c.contentVersionsURL(appID) + "/" + url.PathEscape(version) + "/files"
	body, req, err := c.send(ctx, http.MethodPost, filesURL, f, http.StatusCreated, http.StatusOK)
	if err != nil {
		return "", nil, err
	}
	var file contentFile
	if err := json.Unmarshal(body, &file); err != nil || file.ID == "" {
		return "", nil, fmt.Errorf("the response of POST %s has no file id", req.Raw().URL.Path)
	}
	return filesURL + "/" + url.PathEscape(file.ID), &file, nil
}

func (c *Client) getContentFile(ctx context.Context, fileURL string) (*contentFile, error) {
	var f contentFile
	if err := c.getJSON(ctx, fileURL, &f); err != nil {
		return nil, err
	}
	return &f, nil
}

// renewUpload asks Intune for a new SAS for the file's blob.
func (c *Client) renewUpload(ctx context.Context, fileURL string) error {
	_, _, err := c.send(ctx, http.MethodPost, fileURL+"/renewUpload", nil, http.StatusNoContent, http.StatusOK)
	return err
}

// commitFile asks Intune to check and commit the uploaded blob.
func (c *Client) commitFile(ctx context.Context, fileURL string, info FileEncryptionInfo) error {
	type wireInfo struct {
		ODataType string `json:"@odata.type"`
		FileEncryptionInfo
	}
	params := struct {
		Info wireInfo `json:"fileEncryptionInfo"`
	}{wireInfo{"#microsoft.graph.fileEncryptionInfo", info}}
	_, _, err := c.send(ctx, http.MethodPost, fileURL+"/commit", params, http.StatusNoContent, http.StatusOK)
	return err
}

// UploadStateError is a content file that reached a state other than the
// pending and success states of the step that waited for it, such as
// azureStorageUriRequestFailed or commitFileTimedOut.
type UploadStateError struct {
	Step      string // what was waited for, e.g. "a Storage URI for the upload"
	State     string
	ErrorCode string // uploadErrorCode, if Intune gave one
}

func (e *UploadStateError) Error() string {
	s := fmt.Sprintf("Intune could not give %s: the content file's uploadState is %s", e.Step, e.State)
	if e.ErrorCode != "" {
		s += " (uploadErrorCode " + e.ErrorCode + ")"
	}
	return s
}

var stageNames = map[string]string{
	uploadStateURIRequest: "a Storage URI for the upload",
	uploadStateRenewal:    "a renewed Storage URI for the upload",
	uploadStateCommit:     "a commit of the uploaded file",
}

// waitUploadState polls the file until its uploadState is stage+"Success".
// stage+"Pending" is waited out, as is a state stale(f) calls a read that
// lags behind the request (the success of an earlier step); any other
// state is an *UploadStateError.
func (c *Client) waitUploadState(ctx context.Context, fileURL, stage string, stale func(*contentFile) bool) (*contentFile, error) {
	var file *contentFile
	err := c.poll(ctx, func() (bool, error) {
		f, err := c.getContentFile(ctx, fileURL)
		if err != nil {
			return false, err
		}
		file = f
		switch {
		case f.UploadState == stage+"Success" && (stale == nil || !stale(f)):
			return true, nil
		case f.UploadState == stage+"Pending", stale != nil && stale(f):
			return false, nil
		}
		e := &UploadStateError{Step: stageNames[stage], State: f.UploadState}
		if f.UploadErrorCode != nil {
			e.ErrorCode = *f.UploadErrorCode
		}
		return false, e
	})
	if err != nil {
		state := "no answer yet"
		if file != nil {
			state = "uploadState " + file.UploadState
		}
		return nil, pollError(ctx, err, fmt.Sprintf("%s (%s)", stageNames[stage], state))
	}
	return file, nil
}

// iosManifest is Apple's over-the-air install manifest for the app, the
// "manifest" of the file entry that every iOS client sends (Microsoft's
// powershell-intune-samples, LOB_Application/Application_LOB_Add.ps1):
// items[0].assets[0] a software-package at "{UrlPlaceHolder}", which
// Intune fills in, and the app's bundle identifier, version and title.
func iosManifest(bundleID, bundleVersion, title string) []byte {
	type dict = map[string]any
	m := dict{"items": []dict{{
		"assets":   []dict{{"kind": "software-package", "url": "{UrlPlaceHolder}"}},
		"metadata": dict{"bundle-identifier": bundleID, "bundle-version": bundleVersion, "kind": "software", "title": title},
	}}}
	b, _ := plist.Marshal(m, plist.XMLFormat) // maps of strings always marshal
	return b
}
