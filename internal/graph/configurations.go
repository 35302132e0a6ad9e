package graph

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
)

// summarySelect is every property but payload. Lists ask for it so that
// finding a configuration by name does not download every profile.
const summarySelect = "id,displayName,description,payloadFileName,expirationDateTime,roleScopeTagIds,createdDateTime,lastModifiedDateTime,version"

// ConfigurationInput is the body of a create or an update. A nil field is
// left out of the body: on update Graph then keeps its value.
type ConfigurationInput struct {
	DisplayName *string
	// Description "" clears it (sent as null).
	Description     *string
	PayloadFileName *string
	// Payload is the profile in standard base64, as Terraform's filebase64()
	// gives it. It is streamed into the body as is, never copied or decoded
	// into memory (Edm.Binary is base64 in JSON already).
	Payload            *string
	ExpirationDateTime *time.Time
	// RoleScopeTagIDs nil leaves them out of the body.
	RoleScopeTagIDs []string
}

func (c *Client) configurationsURL() string {
	return c.endpoint + "/beta/deviceAppManagement/iosLobAppProvisioningConfigurations"
}

// CreateConfiguration posts a new configuration and returns what Graph
// created, without the payload (the caller has it).
func (c *Client) CreateConfiguration(ctx context.Context, in ConfigurationInput) (*Configuration, error) {
	if in.DisplayName == nil || in.PayloadFileName == nil || in.Payload == nil {
		return nil, fmt.Errorf("creating a configuration needs a display name, a payload file name and a payload")
	}
	return sendEntity(ctx, c, http.MethodPost, c.configurationsURL(), func() (any, error) { return configurationBody(in) }, decodeWithoutPayload,
		http.StatusCreated)
}

// UpdateConfiguration patches the fields of in that are set and returns the
// updated configuration, without its payload, as the 200 OK of the beta
// update page carries it. A 204 No Content, which other Intune entities
// answer, is success too and returns nil: the caller then reads it back.
func (c *Client) UpdateConfiguration(ctx context.Context, id string, in ConfigurationInput) (*Configuration, error) {
	return sendEntity(ctx, c, http.MethodPatch, c.configurationURL(id), func() (any, error) { return configurationBody(in) }, decodeWithoutPayload,
		http.StatusOK, http.StatusNoContent)
}

// DeleteConfiguration deletes a configuration; a *Error with status 404
// means it was already gone.
func (c *Client) DeleteConfiguration(ctx context.Context, id string) error {
	_, _, err := c.send(ctx, http.MethodDelete, c.configurationURL(id), nil, http.StatusNoContent, http.StatusOK)
	return err
}

// GetConfigurationSummary reads one configuration without its payload.
func (c *Client) GetConfigurationSummary(ctx context.Context, id string) (*Configuration, error) {
	var cfg Configuration
	if err := c.getJSON(ctx, c.configurationURL(id)+"?$select="+summarySelect, &cfg); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// ListConfigurations reads every page of the collection, without payloads.
// Filtering by name is left to the caller: Graph documents $filter on this
// entity for id only, so a server-side displayName filter is not relied on.
//
// A plain list of these configurations has been reported to answer
// "value": [] while ?$expand=assignments answered them
// (microsoftgraph/microsoft-graph-docs issue 5025), and Microsoft's own
// sample lists them that way (powershell-intune-samples,
// iOSAppProvisioningProfile_Analysis.ps1). So an empty plain list is not
// taken as "no configurations": the list is asked again exactly as the
// sample asks it. That answer carries every payload, which is decoded away;
// it costs one more request only when the plain list is empty. Should Graph
// refuse that $expand (400), the plain answer stands.
func (c *Client) ListConfigurations(ctx context.Context) ([]Configuration, error) {
	all, err := listAll[Configuration](ctx, c, c.configurationsURL()+"?$select="+summarySelect)
	if err != nil || len(all) > 0 {
		return all, err
	}
	expanded, err := listAll[configurationWithoutPayload](ctx, c, c.configurationsURL()+"?$expand=assignments")
	var ge *Error
	if errors.As(err, &ge) && ge.StatusCode == http.StatusBadRequest {
		return all, nil
	}
	if err != nil {
		return nil, err
	}
	for _, e := range expanded {
		all = append(all, e.Configuration)
	}
	return all, nil
}

// GetConfigurationWithAssignments reads the configuration (with its payload)
// and both assignment collections, concurrently (see getWithAssignments). A
// 404 means the configuration is gone.
func (c *Client) GetConfigurationWithAssignments(ctx context.Context, id string) (*Configuration, *Assignments, error) {
	return c.getWithAssignments(ctx, id, c.configurationURL(id))
}

// configurationBody renders in as JSON without holding a copy of the
// payload: the small properties are marshalled, and the payload string is
// spliced in by reference. azcore needs an io.ReadSeekCloser because its
// retry policy rewinds the body (Seek to 0) before each attempt and net/http
// may resend it on a new HTTP/2 connection; an io.SectionReader over the
// three parts gives that seeking for free, where io.MultiReader could not
// rewind and a bytes.Buffer would hold the whole body a second time.
// Nothing logs it: azcore logs bodies only with LogOptions.IncludeBody,
// which this client never sets.
func configurationBody(in ConfigurationInput) (io.ReadSeekCloser, error) {
	props := map[string]any{"@odata.type": TypeConfiguration}
	if in.DisplayName != nil {
		props["displayName"] = *in.DisplayName
	}
	if in.Description != nil {
		if *in.Description == "" {
			props["description"] = nil
		} else {
			props["description"] = *in.Description
		}
	}
	if in.PayloadFileName != nil {
		props["payloadFileName"] = *in.PayloadFileName
	}
	if in.ExpirationDateTime != nil {
		props["expirationDateTime"] = in.ExpirationDateTime.Format(time.RFC3339Nano)
	}
	if in.RoleScopeTagIDs != nil {
		props["roleScopeTagIds"] = in.RoleScopeTagIDs
	}
	head, err := json.Marshal(props)
	if err != nil {
		return nil, err
	}
	if in.Payload == nil {
		return streaming.NopCloser(strings.NewReader(string(head))), nil
	}
	if err := CheckBase64(*in.Payload); err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	// head ends in '}' and is never "{}", since @odata.type is always there.
	return streaming.NopCloser(newConcatReader(
		string(head[:len(head)-1])+`,"payload":"`,
		*in.Payload, // only base64 characters, so it needs no JSON escaping
		`"}`,
	)), nil
}

// CheckBase64 reports whether s is non-empty, canonical, padded standard
// base64 (what filebase64() produces), decoding it in small chunks rather
// than into a second copy. Canonical matters: Graph re-encodes what it
// stores, so only the canonical form reads back unchanged.
func CheckBase64(s string) error {
	if s == "" {
		return fmt.Errorf("it is empty")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		isAlphabet := 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '='
		if !isAlphabet {
			return fmt.Errorf("character %q at offset %d is not standard base64 (A-Z, a-z, 0-9, +, / and = padding, no line breaks)", c, i)
		}
	}
	if len(s)%4 != 0 {
		return fmt.Errorf("its length %d is not a multiple of 4; standard base64 is padded with =", len(s))
	}
	dec := base64.NewDecoder(base64.StdEncoding.Strict(), strings.NewReader(s))
	if _, err := io.Copy(io.Discard, dec); err != nil {
		return fmt.Errorf("it is not valid standard base64: %v", err)
	}
	return nil
}

// concatReader reads the concatenation of its parts and can seek, because
// it is an io.SectionReader over them.
type concatReader struct {
	*io.SectionReader
}

func newConcatReader(parts ...string) concatReader {
	m := multiReaderAt{}
	for _, p := range parts {
		m.parts = append(m.parts, strings.NewReader(p))
		m.size += int64(len(p))
	}
	return concatReader{io.NewSectionReader(m, 0, m.size)}
}

type multiReaderAt struct {
	parts []*strings.Reader
	size  int64
}

func (m multiReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for _, r := range m.parts {
		if len(p) == 0 {
			break
		}
		if off >= r.Size() {
			off -= r.Size()
			continue
		}
		k, err := r.ReadAt(p, off)
		n += k
		p = p[k:]
		off = 0
		if err != nil && err != io.EOF {
			return n, err
		}
	}
	if len(p) > 0 {
		return n, io.EOF
	}
	return n, nil
}

// skipped decodes any JSON value without keeping it.
type skipped struct{}

func (*skipped) UnmarshalJSON([]byte) error { return nil }

// configurationWithoutPayload decodes a configuration but drops its payload.
type configurationWithoutPayload struct {
	Configuration
	Payload skipped `json:"payload"` // shadows Configuration.Payload
}

// decodeWithoutPayload decodes an entity but drops its payload: the 201 of a
// create echoes the profile, which the caller already holds.
func decodeWithoutPayload(body []byte, req *policy.Request) (*Configuration, error) {
	wire, err := decodeEntity(body, req, func(w *configurationWithoutPayload) string { return w.ID })
	if err != nil {
		return nil, err
	}
	return &wire.Configuration, nil
}
