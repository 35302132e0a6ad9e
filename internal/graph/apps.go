package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// TypeIOSLobApp is the OData type of an iOS line-of-business app. Graph
// compares type names without regard to case (Microsoft's samples send
// "#microsoft.graph.iosLOBApp"); this is the metadata's spelling.
const TypeIOSLobApp = "#microsoft.graph.iosLobApp"

// Publishing states of a mobile app (mobileAppPublishingState).
const (
	PublishingStateNotPublished = "notPublished"
	PublishingStateProcessing   = "processing"
	PublishingStatePublished    = "published"
)

// IOSMinimumOSVersions are the values of iosMinimumOperatingSystem, one per
// flag of the beta metadata (v8_0 ... v18_0, v26_0), lowest first.
var IOSMinimumOSVersions = []string{"8.0", "9.0", "10.0", "11.0", "12.0", "13.0", "14.0", "15.0", "16.0", "17.0", "18.0", "26.0"}

// IOSDeviceType is iosDeviceType: the devices an app runs on.
type IOSDeviceType struct {
	IPad          bool `json:"iPad"`
	IPhoneAndIPod bool `json:"iPhoneAndIPod"`
}

// IOSLobApp is a #microsoft.graph.iosLobApp. Nullable strings read as "" when
// Graph sends null, as Configuration's do.
type IOSLobApp struct {
	ODataType             string
	ID                    string
	DisplayName           string
	Description           string
	Publisher             string
	Developer             string
	Owner                 string
	Notes                 string
	InformationURL        string
	PrivacyInformationURL string
	IsFeatured            bool
	RoleScopeTagIDs       []string
	BundleID              string
	FileName              string
	BuildNumber           string
	VersionNumber         string
	// Size is the total of the committed content's files (read-only).
	Size int64
	// CommittedContentVersion is "" until content is committed.
	CommittedContentVersion string
	PublishingState         string
	ApplicableDeviceType    IOSDeviceType
	// MinimumSupportedOperatingSystem is the highest flag Graph holds true,
	// e.g. "16.0"; "" when none is (or the object is null).
	MinimumSupportedOperatingSystem string
	// ExpirationDateTime is nil when Graph sent null.
	ExpirationDateTime   *time.Time
	CreatedDateTime      time.Time
	LastModifiedDateTime time.Time
}

// iosLobAppJSON is an iosLobApp as JSON, both ways: Graph's answers decode
// into it (a null string reads as nil) and the bodies of create and update
// encode from it. In a body, omitempty leaves out what the input leaves nil
// and the read-only properties, which newIOSLobAppBody never sets; omitzero
// keeps an empty, non-nil roleScopeTagIds, which clears them.
type iosLobAppJSON struct {
	ODataType                       string          `json:"@odata.type"`
	ID                              string          `json:"id,omitempty"`
	DisplayName                     *string         `json:"displayName,omitempty"`
	Description                     *emptyIsNull    `json:"description,omitempty"`
	Publisher                       *emptyIsNull    `json:"publisher,omitempty"`
	Developer                       *emptyIsNull    `json:"developer,omitempty"`
	Owner                           *emptyIsNull    `json:"owner,omitempty"`
	Notes                           *emptyIsNull    `json:"notes,omitempty"`
	InformationURL                  *emptyIsNull    `json:"informationUrl,omitempty"`
	PrivacyInformationURL           *emptyIsNull    `json:"privacyInformationUrl,omitempty"`
	IsFeatured                      *bool           `json:"isFeatured,omitempty"`
	RoleScopeTagIDs                 []string        `json:"roleScopeTagIds,omitzero"`
	BundleID                        *string         `json:"bundleId,omitempty"`
	FileName                        *string         `json:"fileName,omitempty"`
	BuildNumber                     *string         `json:"buildNumber,omitempty"`
	VersionNumber                   *string         `json:"versionNumber,omitempty"`
	Size                            int64           `json:"size,omitempty"`
	CommittedContentVersion         *string         `json:"committedContentVersion,omitempty"`
	PublishingState                 string          `json:"publishingState,omitempty"`
	ApplicableDeviceType            *IOSDeviceType  `json:"applicableDeviceType,omitempty"`
	MinimumSupportedOperatingSystem map[string]bool `json:"minimumSupportedOperatingSystem,omitempty"`
	ExpirationDateTime              *zeroIsNull     `json:"expirationDateTime,omitempty"`
	CreatedDateTime                 time.Time       `json:"createdDateTime,omitzero"`
	LastModifiedDateTime            time.Time       `json:"lastModifiedDateTime,omitzero"`
}

// emptyIsNull is an optional string property: "" is sent as null, which
// clears it, as the configuration's description is cleared.
type emptyIsNull string

func (s emptyIsNull) MarshalJSON() ([]byte, error) {
	if s == "" {
		return []byte("null"), nil
	}
	return json.Marshal(string(s))
}

// zeroIsNull is a nullable point in time: the zero time is sent as null,
// which clears it, any other in UTC.
type zeroIsNull time.Time

func (t zeroIsNull) MarshalJSON() ([]byte, error) {
	if time.Time(t).IsZero() {
		return []byte("null"), nil
	}
	return time.Time(t).UTC().MarshalJSON()
}

func (t *zeroIsNull) UnmarshalJSON(b []byte) error { return (*time.Time)(t).UnmarshalJSON(b) }

func (a *IOSLobApp) UnmarshalJSON(b []byte) error {
	var w iosLobAppJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*a = IOSLobApp{
		ODataType: w.ODataType, ID: w.ID,
		DisplayName: orEmpty(w.DisplayName), Description: orEmpty(w.Description), Publisher: orEmpty(w.Publisher),
		Developer: orEmpty(w.Developer), Owner: orEmpty(w.Owner), Notes: orEmpty(w.Notes),
		InformationURL: orEmpty(w.InformationURL), PrivacyInformationURL: orEmpty(w.PrivacyInformationURL),
		IsFeatured: w.IsFeatured != nil && *w.IsFeatured, RoleScopeTagIDs: w.RoleScopeTagIDs,
		BundleID: orEmpty(w.BundleID), FileName: orEmpty(w.FileName), BuildNumber: orEmpty(w.BuildNumber), VersionNumber: orEmpty(w.VersionNumber),
		Size: w.Size, CommittedContentVersion: orEmpty(w.CommittedContentVersion), PublishingState: w.PublishingState,
		MinimumSupportedOperatingSystem: minimumOSFromFlags(w.MinimumSupportedOperatingSystem),
		ExpirationDateTime:              (*time.Time)(w.ExpirationDateTime),
		CreatedDateTime:                 w.CreatedDateTime, LastModifiedDateTime: w.LastModifiedDateTime,
	}
	if w.ApplicableDeviceType != nil {
		a.ApplicableDeviceType = *w.ApplicableDeviceType
	}
	return nil
}

// orEmpty is *p, or "" when p is nil (Graph sent null).
func orEmpty[S ~string](p *S) string {
	if p == nil {
		return ""
	}
	return string(*p)
}

// minimumOSFromFlags is the highest vN_M flag that is true, as "N.M".
// Flags Graph adds later (a v27_0, say) are read as well.
func minimumOSFromFlags(flags map[string]bool) string {
	best, bestMajor, bestMinor := "", -1, -1
	for k, on := range flags {
		major, minor, ok := parseFlag(k)
		if !on || !ok {
			continue
		}
		if major > bestMajor || major == bestMajor && minor > bestMinor {
			best, bestMajor, bestMinor = strconv.Itoa(major)+"."+strconv.Itoa(minor), major, minor
		}
	}
	return best
}

func parseFlag(k string) (major, minor int, ok bool) {
	maj, mnr, found := strings.Cut(strings.TrimPrefix(k, "v"), "_")
	if !found || !strings.HasPrefix(k, "v") {
		return 0, 0, false
	}
	major, err1 := strconv.Atoi(maj)
	minor, err2 := strconv.Atoi(mnr)
	return major, minor, err1 == nil && err2 == nil
}

// minimumOSFlags is the iosMinimumOperatingSystem object for v ("16.0"):
// every flag of the metadata, v's true and the others false, since the
// service reads the object whole (exactly one true, as Microsoft's samples send).
func minimumOSFlags(v string) (map[string]bool, error) {
	if !slices.Contains(IOSMinimumOSVersions, v) {
		return nil, fmt.Errorf("minimum supported operating system %q is not one Intune offers (%s)", v, strings.Join(IOSMinimumOSVersions, ", "))
	}
	flags := make(map[string]bool, len(IOSMinimumOSVersions))
	for _, o := range IOSMinimumOSVersions {
		flags["v"+strings.ReplaceAll(o, ".", "_")] = o == v
	}
	return flags, nil
}

// HighestIOSMinimumOS is the highest of IOSMinimumOSVersions that an app
// whose Info.plist says MinimumOSVersion appMinimum (e.g. "16.4") runs on:
// "16.0" for "16.4". ok is false when the app's minimum is below all of them
// or unreadable.
func HighestIOSMinimumOS(appMinimum string) (v string, ok bool) {
	want, ok := parseVersion(appMinimum)
	if !ok {
		return "", false
	}
	for _, o := range IOSMinimumOSVersions {
		have, _ := parseVersion(o)
		if compareVersions(have, want) <= 0 {
			v = o
		}
	}
	return v, v != ""
}

func parseVersion(s string) ([]int, bool) {
	parts := strings.Split(strings.TrimSpace(s), ".")
	out := make([]int, 0, len(parts))
	for _, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, false
		}
		out = append(out, n)
	}
	return out, len(out) > 0
}

func compareVersions(a, b []int) int {
	for i := 0; i < max(len(a), len(b)); i++ {
		x, y := 0, 0
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return x - y
		}
	}
	return 0
}

// IOSLobAppInput is the body of a create or an update. A nil field is left
// out of the body: on update Graph then keeps its value. For the optional
// strings (Description ... PrivacyInformationURL), "" clears the value: it is
// sent as null, as the configuration's description is.
type IOSLobAppInput struct {
	DisplayName           *string
	Description           *string
	Publisher             *string
	Developer             *string
	Owner                 *string
	Notes                 *string
	InformationURL        *string
	PrivacyInformationURL *string
	IsFeatured            *bool
	// RoleScopeTagIDs nil leaves them out of the body.
	RoleScopeTagIDs []string
	BundleID        *string
	FileName        *string
	BuildNumber     *string
	VersionNumber   *string
	// ApplicableDeviceType is sent whole.
	ApplicableDeviceType *IOSDeviceType
	// MinimumSupportedOperatingSystem is one of IOSMinimumOSVersions, e.g. "16.0".
	MinimumSupportedOperatingSystem *string
	// ExpirationDateTime: a pointer to the zero time is sent as null.
	ExpirationDateTime *time.Time
	// CommittedContentVersion points the app at an uploaded, committed content version.
	CommittedContentVersion *string
}

// newIOSLobAppBody is in as JSON, always with the concrete @odata.type: a
// PATCH of a mobileApp without it (or with the abstract type) fails with
// ModelValidationFailure (msgraph-beta-sdk-dotnet issue 699).
func newIOSLobAppBody(in IOSLobAppInput) (*iosLobAppJSON, error) {
	b := &iosLobAppJSON{
		ODataType:               TypeIOSLobApp,
		DisplayName:             in.DisplayName,
		Description:             (*emptyIsNull)(in.Description),
		Publisher:               (*emptyIsNull)(in.Publisher),
		Developer:               (*emptyIsNull)(in.Developer),
		Owner:                   (*emptyIsNull)(in.Owner),
		Notes:                   (*emptyIsNull)(in.Notes),
		InformationURL:          (*emptyIsNull)(in.InformationURL),
		PrivacyInformationURL:   (*emptyIsNull)(in.PrivacyInformationURL),
		IsFeatured:              in.IsFeatured,
		RoleScopeTagIDs:         in.RoleScopeTagIDs,
		BundleID:                in.BundleID,
		FileName:                in.FileName,
		BuildNumber:             in.BuildNumber,
		VersionNumber:           in.VersionNumber,
		ApplicableDeviceType:    in.ApplicableDeviceType,
		ExpirationDateTime:      (*zeroIsNull)(in.ExpirationDateTime),
		CommittedContentVersion: in.CommittedContentVersion,
	}
	if in.MinimumSupportedOperatingSystem != nil {
		flags, err := minimumOSFlags(*in.MinimumSupportedOperatingSystem)
		if err != nil {
			return nil, err
		}
		b.MinimumSupportedOperatingSystem = flags
	}
	return b, nil
}

func (c *Client) mobileAppsURL() string {
	return c.endpoint + "/beta/deviceAppManagement/mobileApps"
}

func (c *Client) mobileAppURL(id string) string {
	return c.mobileAppsURL() + "/" + url.PathEscape(id)
}

// CreateIOSLobApp posts a new iOS LOB app (no content yet: publishingState
// notPublished until a content version is committed).
func (c *Client) CreateIOSLobApp(ctx context.Context, in IOSLobAppInput) (*IOSLobApp, error) {
	if in.DisplayName == nil {
		return nil, fmt.Errorf("creating an iOS LOB app needs a display name")
	}
	return sendEntity(ctx, c, http.MethodPost, c.mobileAppsURL(), func() (any, error) { return newIOSLobAppBody(in) }, decodeIOSLobApp, http.StatusCreated)
}

// WrongAppTypeError is a mobile app that exists but is not an iosLobApp.
type WrongAppTypeError struct {
	ID        string
	ODataType string
}

func (e *WrongAppTypeError) Error() string {
	return fmt.Sprintf("mobile app %s is a %s, not an iOS line-of-business app (%s)", e.ID, e.ODataType, TypeIOSLobApp)
}

func isIOSLobApp(odataType string) bool { return strings.EqualFold(odataType, TypeIOSLobApp) }

func decodeIOSLobApp(body []byte, req *policy.Request) (*IOSLobApp, error) {
	a, err := decodeEntity(body, req, func(a *IOSLobApp) string { return a.ID })
	if err != nil {
		return nil, err
	}
	// Graph always names the derived type of a member of mobileApps; an
	// answer without one is taken at its word.
	if a.ODataType != "" && !isIOSLobApp(a.ODataType) {
		return nil, &WrongAppTypeError{ID: a.ID, ODataType: a.ODataType}
	}
	return a, nil
}

// GetIOSLobApp reads one app; a *Error with status 404 means it is gone, a
// *WrongAppTypeError that the id is another kind of app.
func (c *Client) GetIOSLobApp(ctx context.Context, id string) (*IOSLobApp, error) {
	body, req, err := c.send(ctx, http.MethodGet, c.mobileAppURL(id), nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	return decodeIOSLobApp(body, req)
}

// UpdateIOSLobApp patches the fields of in that are set and returns the
// app: the 200 entity Graph documents, or, after a 204, the app read again.
func (c *Client) UpdateIOSLobApp(ctx context.Context, id string, in IOSLobAppInput) (*IOSLobApp, error) {
	a, err := sendEntity(ctx, c, http.MethodPatch, c.mobileAppURL(id), func() (any, error) { return newIOSLobAppBody(in) }, decodeIOSLobApp,
		http.StatusOK, http.StatusNoContent)
	if err == nil && a == nil {
		return c.GetIOSLobApp(ctx, id)
	}
	return a, err
}

// DeleteMobileApp deletes a mobile app of any type; a *Error with status
// 404 means it was already gone.
func (c *Client) DeleteMobileApp(ctx context.Context, id string) error {
	_, _, err := c.send(ctx, http.MethodDelete, c.mobileAppURL(id), nil, http.StatusNoContent, http.StatusOK)
	return err
}

// ListIOSLobApps reads every page of the iOS LOB apps (Graph docs, "List
// iosLobApps": $filter=isof('microsoft.graph.iosLobApp')). Apps of other
// types are dropped here too, should the filter be ignored.
func (c *Client) ListIOSLobApps(ctx context.Context) ([]IOSLobApp, error) {
	all, err := listAll[IOSLobApp](ctx, c, c.mobileAppsURL()+"?$filter="+url.QueryEscape("isof('microsoft.graph.iosLobApp')"))
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(a IOSLobApp) bool { return !isIOSLobApp(a.ODataType) }), nil
}

// CommitContentVersion points the app at a content version whose file
// UploadContent committed, then waits until Intune has published it.
func (c *Client) CommitContentVersion(ctx context.Context, appID, version string) (*IOSLobApp, error) {
	if _, err := c.UpdateIOSLobApp(ctx, appID, IOSLobAppInput{CommittedContentVersion: &version}); err != nil {
		return nil, err
	}
	return c.WaitPublished(ctx, appID)
}

// WaitPublished reads the app until its publishingState is published
// (Intune processes a committed content version first), backing off from
// half a second to 10 s between reads. When ctx ends first, it returns a
// *TimeoutError saying what it was waiting for.
func (c *Client) WaitPublished(ctx context.Context, id string) (*IOSLobApp, error) {
	var app *IOSLobApp
	reads := 0
	err := c.poll(ctx, func() (bool, error) {
		a, err := c.GetIOSLobApp(ctx, id)
		if err != nil {
			return false, err
		}
		app, reads = a, reads+1
		return a.PublishingState == PublishingStatePublished, nil
	})
	if err != nil {
		state := "no answer yet"
		if app != nil {
			state = fmt.Sprintf("publishingState %q", app.PublishingState)
		}
		return nil, pollError(ctx, err, fmt.Sprintf("Intune to publish app %s (%s after %d reads)", id, state, reads))
	}
	return app, nil
}
