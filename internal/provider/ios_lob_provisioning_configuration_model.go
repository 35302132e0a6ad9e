package provider

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

// What the configuration resource and both data sources share: the
// attributes of Graph's entity, mapped in one function, and plan-time checks.

// configurationAttributes are the attributes every view of a configuration
// has. The resource's, the data source's and the list's models embed it, so
// an attribute added here reaches all three (each schema must declare it).
type configurationAttributes struct {
	DisplayName          types.String `tfsdk:"display_name"`
	Description          types.String `tfsdk:"description"`
	PayloadFileName      types.String `tfsdk:"payload_file_name"`
	ExpirationDateTime   rfc3339Value `tfsdk:"expiration_date_time"`
	RoleScopeTagIDs      types.Set    `tfsdk:"role_scope_tag_ids"`
	CreatedDateTime      types.String `tfsdk:"created_date_time"`
	LastModifiedDateTime types.String `tfsdk:"last_modified_date_time"`
	Version              types.Int64  `tfsdk:"version"`
}

// configurationAttributesFrom maps Graph's entity to the shared attributes.
func configurationAttributesFrom(ctx context.Context, cfg *graph.Configuration) (configurationAttributes, diag.Diagnostics) {
	v := configurationAttributes{
		DisplayName:          types.StringValue(cfg.DisplayName),
		Description:          types.StringNull(),
		PayloadFileName:      types.StringValue(cfg.PayloadFileName),
		ExpirationDateTime:   newRFC3339Null(),
		CreatedDateTime:      timestampValue(cfg.CreatedDateTime),
		LastModifiedDateTime: timestampValue(cfg.LastModifiedDateTime),
		Version:              types.Int64Value(int64(cfg.Version)),
	}
	// Graph has no empty description, only null; the schema refuses "".
	if cfg.Description != "" {
		v.Description = types.StringValue(cfg.Description)
	}
	// Intune reports "not set" as null or as 0001-01-01T00:00:00Z.
	if cfg.ExpirationDateTime != nil && !cfg.ExpirationDateTime.IsZero() {
		v.ExpirationDateTime = newRFC3339Time(*cfg.ExpirationDateTime)
	}
	tags := cfg.RoleScopeTagIDs
	if tags == nil {
		tags = []string{}
	}
	var diags diag.Diagnostics
	v.RoleScopeTagIDs, diags = types.SetValueFrom(ctx, types.StringType, tags)
	return v, diags
}

// configurationResourceModelFrom is the resource as Graph holds it, as a
// refresh, an import and `terraform query` read it, with no timeouts (Read
// puts the state's back). prior is the payload the state holds, "" for
// none: it is kept when Graph answers the same bytes in another spelling,
// or no payload at all, which tells nothing about it.
func configurationResourceModelFrom(ctx context.Context, cfg *graph.Configuration, prior string) (configurationResourceModel, diag.Diagnostics) {
	attrs, diags := configurationAttributesFrom(ctx, cfg)
	payload := prior
	if cfg.Payload != "" && !samePayload(prior, cfg.Payload) {
		payload = cfg.Payload
	}
	m := configurationResourceModel{
		ID:                      types.StringValue(cfg.ID),
		configurationAttributes: attrs,
		Payload:                 types.StringNull(), // known from neither

		Profile:          heldProfile(payload, &diags),
		resourceTimeouts: nullResourceTimeouts(),
	}
	if payload != "" {
		m.Payload = types.StringValue(payload)
	}
	return m, diags
}

func timestampValue(t time.Time) types.String {
	if t.IsZero() {
		return types.StringNull()
	}
	return types.StringValue(t.UTC().Format(time.RFC3339Nano))
}

// samePayload reports whether two base64 strings hold the same bytes, so
// that Graph re-encoding a profile (another padding, say) is not a change.
func samePayload(a, b string) bool {
	if a == b {
		return true
	}
	da, errA := decodeBase64Leniently(a)
	db, errB := decodeBase64Leniently(b)
	return errA == nil && errB == nil && bytes.Equal(da, db)
}

func decodeBase64Leniently(s string) ([]byte, error) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// payloadFileNamePattern: the files Intune accepts for a configuration, a
// name before the suffix, any case.
var payloadFileNamePattern = regexp.MustCompile(`(?i)^.+\.(mobileprovision|xml)$`)

const payloadFileNameRule = `must be a file name ending in .mobileprovision (an Apple provisioning profile) or .xml, such as "sales.mobileprovision"`

type base64PayloadValidator struct{}

func (base64PayloadValidator) Description(context.Context) string {
	return "must be standard base64, as filebase64() produces"
}

func (v base64PayloadValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

// ValidateString never echoes the value: a profile is tens of kilobytes.
func (base64PayloadValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := graph.CheckBase64(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid payload",
			fmt.Sprintf("%s must be the profile's content in standard base64, as filebase64(\"sales.mobileprovision\") gives it, but %s.", req.Path, err))
	}
}

// configurationSummaryModel is one element of the list data source.
type configurationSummaryModel struct {
	ID types.String `tfsdk:"id"`
	configurationAttributes
}

func configurationSummaryFrom(ctx context.Context, cfg *graph.Configuration) (configurationSummaryModel, diag.Diagnostics) {
	attrs, diags := configurationAttributesFrom(ctx, cfg)
	return configurationSummaryModel{ID: types.StringValue(cfg.ID), configurationAttributes: attrs}, diags
}
