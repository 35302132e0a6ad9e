package graphfake

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// IOSLobAppState is an app as the emulator holds it, for tests to inspect
// and to edit out of band. Strings that are null read as "".
type IOSLobAppState struct {
	ID                      string
	DisplayName             string
	Description             string
	Publisher               string
	Developer               string
	Owner                   string
	Notes                   string
	InformationURL          string
	PrivacyInformationURL   string
	BundleID                string
	FileName                string
	BuildNumber             string
	VersionNumber           string
	IsFeatured              bool
	RoleScopeTagIDs         []string
	IPad, IPhoneAndIPod     bool      // applicableDeviceType
	MinimumOS               []string  // the true flags of minimumSupportedOperatingSystem, e.g. ["v16_0"]; nil when it is null
	Expiration              time.Time // zero: null
	CommittedContentVersion string
	PublishingState         string
	Size                    int64
	Created, LastModified   time.Time
	ContentVersions         int                // how many content versions it has
	CommittedFiles          []ContentFileState // the files of the committed content version
}

// ContentFileState is a content file, for assertions.
type ContentFileState struct {
	ID            string
	Name          string
	Size          int64
	SizeEncrypted int64
	Digest        []byte // SHA-256 of the plaintext, known once committed
	UploadState   string
	IsCommitted   bool
	SASURI        string
	SASExpiry     time.Time
	// Failure says why a SAS request or a commit failed.
	Failure string
}

// appStringFields ties the state's string fields to the properties.
func (st *IOSLobAppState) stringFields() map[string]*string {
	return map[string]*string{
		"displayName": &st.DisplayName, "description": &st.Description, "publisher": &st.Publisher,
		"developer": &st.Developer, "owner": &st.Owner, "notes": &st.Notes, "informationUrl": &st.InformationURL,
		"privacyInformationUrl": &st.PrivacyInformationURL, "bundleId": &st.BundleID, "fileName": &st.FileName,
		"buildNumber": &st.BuildNumber, "versionNumber": &st.VersionNumber, "committedContentVersion": &st.CommittedContentVersion,
	}
}

func (a *iosLobApp) state() IOSLobAppState {
	st := IOSLobAppState{
		ID: a.id, IsFeatured: a.isFeatured, RoleScopeTagIDs: slices.Clone(a.roleScopeTagIDs),
		IPad: a.iPad, IPhoneAndIPod: a.iPhone, PublishingState: a.publishingState, Size: a.size(),
		Created: a.created, LastModified: a.lastModified, ContentVersions: len(a.contentVersions),
	}
	for name, field := range st.stringFields() {
		*field = a.str(name)
	}
	if a.minimumOS != nil {
		st.MinimumOS = []string{}
		for _, f := range minimumOSFlags {
			if a.minimumOS[f] {
				st.MinimumOS = append(st.MinimumOS, f)
			}
		}
	}
	if a.expiration != nil {
		st.Expiration = *a.expiration
	}
	if v := a.committed(); v != nil {
		for _, f := range v.files {
			st.CommittedFiles = append(st.CommittedFiles, f.state())
		}
	}
	return st
}

func (f *contentFile) state() ContentFileState {
	return ContentFileState{ID: f.id, Name: f.name, Size: f.size, SizeEncrypted: f.sizeEncrypted, Digest: slices.Clone(f.digest),
		UploadState: f.uploadState, IsCommitted: f.isCommitted, SASURI: f.sasURI, SASExpiry: f.sasExpiry, Failure: f.failure}
}

// IOSLobApp returns a copy of an app; ok is false if it does not exist.
func (s *Server) IOSLobApp(id string) (IOSLobAppState, bool) {
	return stateOf(s, s.mobileApps, id)
}

// IOSLobApps returns copies of every app, in creation order.
func (s *Server) IOSLobApps() []IOSLobAppState {
	return statesOf(s, s.mobileApps)
}

// ContentFile returns a copy of one content file of an app.
func (s *Server) ContentFile(appID, versionID, fileID string) (ContentFileState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _, f, ok := s.lookupContent(strings.ToLower(appID), versionID, strings.ToLower(fileID))
	if !ok {
		return ContentFileState{}, false
	}
	return f.state(), true
}

// IOSLobAppSeed is an app made in the portal, for AddIOSLobApp.
type IOSLobAppSeed struct {
	ID          string // a GUID; "" makes a new one
	DisplayName string // "" is "Seeded app"
	Publisher   string
	BundleID    string // "" takes the .ipa's
	FileName    string // "" is "app.ipa"
	// IPA, when set, is committed as content version "1" and the app is
	// published; its Info.plist gives BundleID, buildNumber and versionNumber.
	IPA []byte
}

// AddIOSLobApp adds an app as the portal would make it, with its content
// committed when seed.IPA is set, and returns its id.
func (s *Server) AddIOSLobApp(seed IOSLobAppSeed) (string, error) {
	id := strings.ToLower(seed.ID)
	if id == "" {
		id = newGUID()
	}
	if !IsGUID(id) {
		return "", fmt.Errorf("graphfake: app id %q is not a GUID", seed.ID)
	}
	str := func(v string) *string { return &v }
	now := time.Now().UTC().Truncate(time.Second)
	a := &iosLobApp{
		entityBase: newEntityBase(id, now), strs: map[string]*string{}, iPad: true, iPhone: true,
		minimumOS: map[string]bool{"v16_0": true}, delivery: "default", publishingState: PublishingNotPublished,
	}
	a.strs["displayName"] = str(cmp.Or(seed.DisplayName, "Seeded app"))
	a.strs["fileName"] = str(cmp.Or(seed.FileName, "app.ipa"))
	if seed.Publisher != "" {
		a.strs["publisher"] = str(seed.Publisher)
	}
	if seed.BundleID != "" {
		a.strs["bundleId"] = str(seed.BundleID)
	}
	if seed.IPA != nil {
		if err := a.commitOutOfBand(seed.IPA, seed.BundleID == ""); err != nil {
			return "", err
		}
		a.publishingState = PublishingPublished
	}
	if a.str("bundleId") == "" {
		return "", fmt.Errorf("graphfake: an app needs a bundle id (IOSLobAppSeed.BundleID or .IPA)")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mobileApps[id] = a
	return id, nil
}

// PortalUpload commits ipa to an app outside the API's upload flow, as an
// admin uploading a new .ipa in the portal would: a new content version
// with one committed file, committedContentVersion moved to it, buildNumber
// and versionNumber taken from the .ipa, and the app published. A
// different bundle id is refused (Microsoft Learn: it is a different app).
func (s *Server) PortalUpload(appID string, ipa []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := find(s.mobileApps, "app", appID)
	if err != nil {
		return err
	}
	if err := a.commitOutOfBand(ipa, false); err != nil {
		return err
	}
	a.publishingState = PublishingPublished
	a.touch()
	return nil
}

// commitOutOfBand adds a committed content version holding ipa; s.mu must
// be held (or a not yet shared).
func (a *iosLobApp) commitOutOfBand(ipa []byte, takeBundleID bool) error {
	info, err := bundleInfo(bytes.NewReader(ipa), int64(len(ipa)))
	if err != nil {
		return fmt.Errorf("graphfake: not an .ipa: %w", err)
	}
	bundleID, _ := info["CFBundleIdentifier"].(string)
	switch {
	case takeBundleID:
		a.strs["bundleId"] = &bundleID
	case bundleID != a.str("bundleId"):
		return fmt.Errorf("graphfake: the .ipa's bundle id %q is not the app's %q", bundleID, a.str("bundleId"))
	}
	for key, prop := range map[string]string{"CFBundleVersion": "buildNumber", "CFBundleShortVersionString": "versionNumber"} {
		if v, ok := info[key].(string); ok {
			a.strs[prop] = &v
		}
	}
	digest := sha256.Sum256(ipa)
	size := int64(len(ipa))
	v := &contentVersion{id: strconv.Itoa(len(a.contentVersions) + 1)}
	v.files = []*contentFile{{
		id: newGUID(), name: a.str("fileName"), size: size, sizeEncrypted: 48 + 16*(size/16+1),
		created: time.Now().UTC(), uploadState: UploadCommitSuccess, isCommitted: true, digest: digest[:],
	}}
	a.contentVersions = append(a.contentVersions, v)
	a.strs["committedContentVersion"] = &v.id
	return nil
}

// EditIOSLobApp changes an app's metadata out of band, as an admin in the
// portal would: edit gets a copy to change, and the string properties,
// isFeatured, roleScopeTagIds, applicableDeviceType, minimumOS and the
// expiry it changed are stored, with a new lastModifiedDateTime. The id,
// content and publishing state cannot change this way (PortalUpload).
func (s *Server) EditIOSLobApp(id string, edit func(*IOSLobAppState)) error {
	return editState(s, s.mobileApps, "app", id, edit, (*iosLobApp).storeEdit)
}

// storeEdit stores what an out-of-band edit changed (EditIOSLobApp).
func (a *iosLobApp) storeEdit(before, after IOSLobAppState) {
	oldFields, newFields := before.stringFields(), after.stringFields()
	for name, p := range newFields {
		if name == "committedContentVersion" || *p == *oldFields[name] {
			continue
		}
		v := *p
		a.strs[name] = &v
		if v == "" {
			a.strs[name] = nil
		}
	}
	a.isFeatured = after.IsFeatured
	a.roleScopeTagIDs = slices.Clone(after.RoleScopeTagIDs)
	a.iPad, a.iPhone = after.IPad, after.IPhoneAndIPod
	if !slices.Equal(before.MinimumOS, after.MinimumOS) {
		a.minimumOS = nil
		if after.MinimumOS != nil {
			a.minimumOS = map[string]bool{}
			for _, f := range after.MinimumOS {
				a.minimumOS[f] = true
			}
		}
	}
	if !after.Expiration.Equal(before.Expiration) {
		a.expiration = nil
		if !after.Expiration.IsZero() {
			t := after.Expiration.UTC()
			a.expiration = &t
		}
	}
	a.touch()
}

// DeleteIOSLobApp removes an app out of band, as an admin in the portal would.
func (s *Server) DeleteIOSLobApp(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.mobileApps, strings.ToLower(id))
}

// SetAppFaults sets the test switches of one app's content (replacing any
// set before); the zero AppFaults turns them off.
func (s *Server) SetAppFaults(appID string, f AppFaults) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := find(s.mobileApps, "app", appID)
	if err != nil {
		return err
	}
	a.faults = f
	return nil
}

// CommitFailure says why the last commit of one of an app's files ended in
// commitFileFailed ("" if none has).
func (s *Server) CommitFailure(appID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.mobileApps[strings.ToLower(appID)]; ok {
		return a.commitFailure
	}
	return ""
}
