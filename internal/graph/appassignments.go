package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"
)

// OData types and install intents of a mobile app's assignments (beta
// metadata: mobileAppAssignment, iosLobAppAssignmentSettings, installIntent).
const (
	TypeMobileAppAssignment         = "#microsoft.graph.mobileAppAssignment"
	TypeIOSLobAppAssignmentSettings = "#microsoft.graph.iosLobAppAssignmentSettings"

	IntentAvailable                  = "available"
	IntentRequired                   = "required"
	IntentUninstall                  = "uninstall"
	IntentAvailableWithoutEnrollment = "availableWithoutEnrollment"
)

// AppAssignment is one mobileAppAssignment of an iOS LOB app.
type AppAssignment struct {
	ID     string
	Intent string
	Target Target
	// Settings is nil when Graph holds null settings, which Intune treats as
	// the defaults IOSLobAppAssignmentSettings documents.
	Settings *IOSLobAppAssignmentSettings
}

// IOSLobAppAssignmentSettings is an iosLobAppAssignmentSettings. A nil
// property is null, which Intune treats as the metadata says: true for
// UninstallOnDeviceRemoval and IsRemovable, false for
// PreventManagedAppBackup.
type IOSLobAppAssignmentSettings struct {
	// ODataType is kept as Graph sent it, so that callers can refuse
	// settings of a type they do not know instead of dropping them.
	ODataType                string
	VPNConfigurationID       *string
	UninstallOnDeviceRemoval *bool
	IsRemovable              *bool
	PreventManagedAppBackup  *bool
}

// Effective values of the settings: what Intune applies for a null.
func (s *IOSLobAppAssignmentSettings) EffectiveUninstallOnDeviceRemoval() bool {
	return s == nil || s.UninstallOnDeviceRemoval == nil || *s.UninstallOnDeviceRemoval
}

func (s *IOSLobAppAssignmentSettings) EffectiveIsRemovable() bool {
	return s == nil || s.IsRemovable == nil || *s.IsRemovable
}

func (s *IOSLobAppAssignmentSettings) EffectivePreventManagedAppBackup() bool {
	return s != nil && s.PreventManagedAppBackup != nil && *s.PreventManagedAppBackup
}

func (s *IOSLobAppAssignmentSettings) EffectiveVPNConfigurationID() string {
	if s == nil || s.VPNConfigurationID == nil {
		return ""
	}
	return *s.VPNConfigurationID
}

type appAssignmentWire struct {
	ODataType string          `json:"@odata.type,omitempty"`
	ID        string          `json:"id,omitempty"`
	Intent    string          `json:"intent"`
	Target    Target          `json:"target"`
	Settings  json.RawMessage `json:"settings"`
}

type settingsWire struct {
	ODataType                string  `json:"@odata.type"`
	VPNConfigurationID       *string `json:"vpnConfigurationId"`
	UninstallOnDeviceRemoval *bool   `json:"uninstallOnDeviceRemoval"`
	IsRemovable              *bool   `json:"isRemovable"`
	PreventManagedAppBackup  *bool   `json:"preventManagedAppBackup"`
}

// MarshalJSON writes the assignment as assign takes it: no id (Intune makes
// new ones), the concrete types named, settings null when nil.
func (a AppAssignment) MarshalJSON() ([]byte, error) {
	settings := json.RawMessage("null")
	if a.Settings != nil {
		b, err := json.Marshal(settingsWire{
			ODataType:                TypeIOSLobAppAssignmentSettings,
			VPNConfigurationID:       a.Settings.VPNConfigurationID,
			UninstallOnDeviceRemoval: a.Settings.UninstallOnDeviceRemoval,
			IsRemovable:              a.Settings.IsRemovable,
			PreventManagedAppBackup:  a.Settings.PreventManagedAppBackup,
		})
		if err != nil {
			return nil, err
		}
		settings = b
	}
	return json.Marshal(appAssignmentWire{ODataType: TypeMobileAppAssignment, Intent: a.Intent, Target: a.Target, Settings: settings})
}

func (a *AppAssignment) UnmarshalJSON(b []byte) error {
	var wire appAssignmentWire
	if err := json.Unmarshal(b, &wire); err != nil {
		return err
	}
	*a = AppAssignment{ID: wire.ID, Intent: wire.Intent, Target: wire.Target}
	if len(wire.Settings) > 0 && string(wire.Settings) != "null" {
		var s settingsWire
		if err := json.Unmarshal(wire.Settings, &s); err != nil {
			return fmt.Errorf("settings: %w", err)
		}
		a.Settings = &IOSLobAppAssignmentSettings{
			ODataType:                s.ODataType,
			VPNConfigurationID:       s.VPNConfigurationID,
			UninstallOnDeviceRemoval: s.UninstallOnDeviceRemoval,
			IsRemovable:              s.IsRemovable,
			PreventManagedAppBackup:  s.PreventManagedAppBackup,
		}
	}
	return nil
}

// AppAssignments is the whole assignment set of one app, which
// POST /mobileApps/{id}/assign replaces.
type AppAssignments struct {
	Assignments []AppAssignment
	// PublishingState is the app's, read beside the set (only a published
	// app can be assigned); "" when the read did not ask.
	PublishingState string
}

// Collections: one, read from {id}/assignments. Two assignments that differ
// only in settings Intune treats alike (null and its default) are the same.
func (a AppAssignments) Collections() [][]string {
	keys := make([]string, 0, len(a.Assignments))
	for _, x := range a.Assignments {
		s := x.Settings
		settingsType := ""
		if s != nil && s.ODataType != "" && !strings.EqualFold(s.ODataType, TypeIOSLobAppAssignmentSettings) {
			settingsType = strings.ToLower(s.ODataType) // settings of another type are never the same as ours
		}
		keys = append(keys, strings.Join([]string{strings.ToLower(x.Intent), targetKey(x.Target), settingsType,
			strings.ToLower(s.EffectiveVPNConfigurationID()), strconv.FormatBool(s.EffectiveUninstallOnDeviceRemoval()),
			strconv.FormatBool(s.EffectiveIsRemovable()), strconv.FormatBool(s.EffectivePreventManagedAppBackup())}, "\x00"))
	}
	return [][]string{canonical(keys)}
}

// SameSet reports whether a and b hold the same assignments in any order.
func (a AppAssignments) SameSet(b AppAssignments) bool { return SameCollections(a, b) }

// AssignmentSet is what one assign replaces, as callers compare it: the
// canonical keys of each collection Graph reads apart (entry ids left out:
// Intune makes new ones on every assign).
type AssignmentSet interface {
	Collections() [][]string
}

// SameCollections reports whether a and b hold the same entries in each
// collection.
func SameCollections(a, b AssignmentSet) bool {
	return slices.EqualFunc(a.Collections(), b.Collections(), slices.Equal)
}

// canonical sorts keys and counts duplicates once, as Graph's set does.
func canonical(keys []string) []string {
	slices.Sort(keys)
	return slices.Compact(keys)
}

func (c *Client) appAssignmentsURL(appID string) string {
	return c.mobileAppURL(appID) + "/assignments"
}

// GetAppAssignments reads every page of an app's assignments
// (GET /mobileApps/{id}/assignments; no type-cast segment, and never
// $expand alone: see getWithAssignments) and, concurrently, the app's
// publishingState, which also says that the app exists: a *Error with status
// 404 means it is gone.
func (c *Client) GetAppAssignments(ctx context.Context, appID string) (*AppAssignments, error) {
	var a AppAssignments
	var app struct {
		ODataType       string `json:"@odata.type"`
		PublishingState string `json:"publishingState"`
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return c.getJSON(gctx, c.mobileAppURL(appID)+"?$select=id,publishingState", &app) })
	g.Go(func() (err error) {
		a.Assignments, err = listAll[AppAssignment](gctx, c, c.appAssignmentsURL(appID))
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if app.ODataType != "" && !isIOSLobApp(app.ODataType) {
		return nil, &WrongAppTypeError{ID: appID, ODataType: app.ODataType}
	}
	a.PublishingState = app.PublishingState
	return &a, nil
}

// AssignApp replaces the whole assignment set of an app
// (POST /mobileApps/{id}/assign, no type-cast segment: a cast route answers
// "No method match route template"). Like the configuration's assign, it is
// idempotent, so retrying it after a dropped connection is safe.
func (c *Client) AssignApp(ctx context.Context, appID string, a AppAssignments) error {
	body := struct {
		Assignments []AppAssignment `json:"mobileAppAssignments"`
	}{a.Assignments}
	if body.Assignments == nil {
		body.Assignments = []AppAssignment{}
	}
	return c.postAction(ctx, c.mobileAppURL(appID)+"/assign", body)
}

// postAction posts an action's parameters as JSON and expects no content.
func (c *Client) postAction(ctx context.Context, u string, params any) error {
	_, _, err := c.send(ctx, http.MethodPost, u, params, http.StatusNoContent, http.StatusOK)
	return err
}
