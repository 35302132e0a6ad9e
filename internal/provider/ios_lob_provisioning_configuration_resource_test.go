package provider

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
)

// Created from a signed profile, renewed in place, renamed, imported. The
// plan knows the profile and its expiry before anything is written, and the
// renewal's plan shows the new ones.
func TestAccConfiguration_createUpdateInPlaceImport(t *testing.T) {
	needsGeneratedProfiles(t)
	name := uniqueName(t)
	now := time.Now().UTC()
	first, renewed := testProfile(name, now.AddDate(1, 0, 0)), testProfile(name+" renewed", now.AddDate(2, 0, 0))
	const fileName = "sales.mobileprovision"
	payload, payload2 := b64(string(testCA(t).Sign(t, first.XML()))), b64(string(testCA(t).Sign(t, renewed.XML())))
	expires, expires2 := rfc3339(first.ExpirationDate), rfc3339(renewed.ExpirationDate)
	sameID := statecheck.CompareValue(compare.ValuesSame())
	sameCreated := statecheck.CompareValue(compare.ValuesSame())
	versionMoves := statecheck.CompareValue(compare.ValuesDiffer())
	// The configuration as first written, with the first payload or the renewed one.
	salesApps := func(payload string) string {
		return configurationConfig(name, fileName, payload,
			`description          = "Sales apps"`,
			`role_scope_tag_ids   = ["0"]`)
	}
	accTest(t, resource.TestCase{
		CheckDestroy: checkConfigurationsGone(t),
		Steps: []resource.TestStep{
			{
				Config: salesApps(payload),
				ConfigPlanChecks: plansThenEmpty(
					plancheck.ExpectResourceAction(configurationResourceName, plancheck.ResourceActionCreate),
					plancheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("expiration_date_time"), knownvalue.StringExact(expires)),
					plancheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("profile"), expectProfile(first, "", true)),
				),
				ConfigStateChecks: []statecheck.StateCheck{
					sameID.AddStateValue(configurationResourceName, tfjsonpath.New("id")),
					sameCreated.AddStateValue(configurationResourceName, tfjsonpath.New("created_date_time")),
					statecheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("id"), knownvalue.StringRegexp(guidPattern)),
					statecheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("description"), knownvalue.StringExact("Sales apps")),
					statecheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("payload"), knownvalue.StringExact(payload)),
					statecheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("expiration_date_time"), knownvalue.StringExact(expires)),
					statecheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("profile"), expectProfile(first, "", true)),
					statecheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("role_scope_tag_ids"), knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("0")})),
					versionMoves.AddStateValue(configurationResourceName, tfjsonpath.New("version")),
					statecheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("created_date_time"), knownvalue.NotNull()),
				},
				Check: checkEmulatorConfiguration(func(c graphfake.ConfigurationState) error {
					if c.DisplayName != name || c.Description != "Sales apps" || c.PayloadFileName != fileName || b64(string(c.Payload)) != payload || !c.Expiration.Equal(first.ExpirationDate) {
						return fmt.Errorf("emulator holds %+v", c)
					}
					return nil
				}),
			},
			{
				// A renewed profile: only the payload changes, in place, and
				// the plan shows the new profile and its expiry.
				Config: salesApps(payload2),
				ConfigPlanChecks: plansThenEmpty(
					plancheck.ExpectResourceAction(configurationResourceName, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("payload"), knownvalue.StringExact(payload2)),
					plancheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("expiration_date_time"), knownvalue.StringExact(expires2)),
					plancheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("profile"), expectProfile(renewed, "", true)),
					plancheck.ExpectUnknownValue(configurationResourceName, tfjsonpath.New("version")),
				),
				ConfigStateChecks: []statecheck.StateCheck{
					sameID.AddStateValue(configurationResourceName, tfjsonpath.New("id")),
					sameCreated.AddStateValue(configurationResourceName, tfjsonpath.New("created_date_time")),
					versionMoves.AddStateValue(configurationResourceName, tfjsonpath.New("version")),
				},
				Check: checkEmulatorConfiguration(func(c graphfake.ConfigurationState) error {
					if b64(string(c.Payload)) != payload2 || c.Version != 2 || c.DisplayName != name || !c.Expiration.Equal(renewed.ExpirationDate) {
						return fmt.Errorf("emulator holds %+v", c)
					}
					return nil
				}),
			},
			{
				// Rename and drop the description (cleared in Graph, not
				// kept); the expiry stays.
				Config: configurationConfig(name+" v2", fileName, payload2, `role_scope_tag_ids   = ["0"]`),
				ConfigPlanChecks: plansThenEmpty(
					plancheck.ExpectResourceAction(configurationResourceName, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("expiration_date_time"), knownvalue.StringExact(expires2)),
				),
				ConfigStateChecks: []statecheck.StateCheck{
					sameID.AddStateValue(configurationResourceName, tfjsonpath.New("id")),
					statecheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("description"), knownvalue.Null()),
				},
				Check: checkEmulatorConfiguration(func(c graphfake.ConfigurationState) error {
					if c.DisplayName != name+" v2" || c.Description != "" || b64(string(c.Payload)) != payload2 || c.Version != 3 {
						return fmt.Errorf("emulator holds %+v", c)
					}
					return nil
				}),
			},
			{
				ResourceName:            configurationResourceName,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			refusesImportID(configurationResourceName, "sales"),
		},
	})
}

// Left out, role_scope_tag_ids is what Intune reports and
// expiration_date_time the profile's; neither diffs.
func TestAccConfiguration_computedDefaults(t *testing.T) {
	name := uniqueName(t)
	fileName, payload := testPayload(t, name)
	accTest(t, resource.TestCase{
		CheckDestroy: checkConfigurationsGone(t),
		Steps: []resource.TestStep{
			{
				Config: configurationConfig(name, fileName, payload),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.CompareValuePairs(configurationResourceName, tfjsonpath.New("expiration_date_time"),
						configurationResourceName, tfjsonpath.New("profile").AtMapKey("expiration_date"), compare.ValuesSame()),
					statecheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("description"), knownvalue.Null()),
					statecheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("role_scope_tag_ids"), knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("0")})),
				},
			},
			{
				// Setting the computed attributes later is an in-place update.
				Config: configurationConfig(name, fileName, payload, `expiration_date_time = "2028-06-30T12:00:00Z"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(configurationResourceName, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("expiration_date_time"), knownvalue.StringExact("2028-06-30T12:00:00Z")),
				},
			},
		},
	})
}

func TestAccConfiguration_deletedOutOfBand(t *testing.T) {
	var firstID string
	testChangedOutOfBand(t, &firstID, func(config, _ string) []resource.TestStep {
		return []resource.TestStep{
			// An admin deletes it in the portal.
			plansCreateAfterPortalDelete(configurationResourceName, config, &firstID),
			{
				Config: config,
				Check: checkEmulatorConfiguration(func(c graphfake.ConfigurationState) error {
					if c.ID == firstID {
						return fmt.Errorf("the configuration was not created again")
					}
					return nil
				}),
			},
		}
	})
}

// A profile replaced in the portal shows as a payload diff, which apply undoes.
func TestAccConfiguration_payloadChangedOutOfBand(t *testing.T) {
	var id string
	testChangedOutOfBand(t, &id, func(config, payload string) []resource.TestStep {
		return []resource.TestStep{
			{
				PreConfig: func() {
					if err := emulator.EditConfiguration(id, func(c *graphfake.ConfigurationState) { c.Payload = []byte("uploaded in the portal") }); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: plansThenEmpty(
					plancheck.ExpectResourceAction(configurationResourceName, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("payload"), knownvalue.StringExact(payload)),
				),
				Check: checkEmulatorConfiguration(func(c graphfake.ConfigurationState) error {
					if b64(string(c.Payload)) != payload {
						return fmt.Errorf("payload is %q after apply", c.Payload)
					}
					return nil
				}),
			},
		}
	})
}

// testChangedOutOfBand creates a configuration, saves its id in *id, and
// then runs the steps that change it behind Terraform's back and show what
// the provider makes of that. steps gets the configuration's HCL and payload.
func testChangedOutOfBand(t *testing.T, id *string, steps func(config, payload string) []resource.TestStep) {
	needsEmulator(t)
	name := uniqueName(t)
	fileName, payload := testPayload(t, name)
	config := configurationConfig(name, fileName, payload)
	accTest(t, resource.TestCase{
		CheckDestroy: checkConfigurationsGone(t),
		Steps:        append([]resource.TestStep{{Config: config, Check: saveConfigurationID(id)}}, steps(config, payload)...),
	})
}

// The configuration and its assignments, created together and destroyed
// together: what a live tenant needs no fixture for.
func TestAccConfiguration_assignedThenDestroyed(t *testing.T) {
	f := newGroups(t, 2)
	name := uniqueName(t)
	fileName, payload := testPayload(t, name)
	config := configurationConfig(name, fileName, payload) + fmt.Sprintf(`
resource "intune_ios_lob_provisioning_assignment" "test" {
  configuration_id = intune_ios_lob_provisioning_configuration.test.id
  group {
    group_id = %q
  }
  target {
    type     = "group"
    group_id = %q
  }
}
`, f[0], f[1])
	accTest(t, resource.TestCase{
		CheckDestroy: checkConfigurationsGone(t),
		Steps: []resource.TestStep{{
			Config: config,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.CompareValuePairs(configurationResourceName, tfjsonpath.New("id"), resourceName, tfjsonpath.New("configuration_id"), compare.ValuesSame()),
			},
			Check: checkEmulatorConfiguration(func(c graphfake.ConfigurationState) error {
				return emulatorHolds(c.ID, []string{f[0]}, groupTargets(f[1]))
			}),
		}},
	})
}

// Bad input fails at plan time with an error naming the attribute.
func TestAccConfiguration_invalidInputIsRefusedAtPlan(t *testing.T) {
	_, ok := testPayload(t, "refused")
	cases := []struct {
		name, config, want string
	}{
		{"file name suffix", configurationConfig("x", "sales.plist", ok), `(?s)payload_file_name must be a file name ending in .mobileprovision.*got: sales.plist`},
		{"file name only a suffix", configurationConfig("x", ".xml", ok), `payload_file_name must be a file name ending`},
		{"payload not base64", configurationConfig("x", "a.xml", "not base64!"), `(?s)payload must be the profile's content in standard base64.*offset 3`},
		{"payload unpadded", configurationConfig("x", "a.xml", "cHJvZmlsZQ"), `(?s)payload must be.*padded`},
		{"payload empty", configurationConfig("x", "a.xml", ""), `(?s)payload must be.*empty`},
		{"expiration not RFC 3339", configurationConfig("x", "a.xml", ok, `expiration_date_time = "31/01/2027"`), `(?s)expiration_date_time must be an RFC 3339 timestamp.*"31/01/2027"`},
		{"empty display name", configurationConfig("", "a.xml", ok), `(?s)display_name.*at least 1`},
		{"empty description", configurationConfig("x", "a.xml", ok, `description = ""`), `(?s)description.*at least 1`},
		{"scope tag not a number", configurationConfig("x", "a.xml", ok, `role_scope_tag_ids = ["Default"]`), `(?s)role_scope_tag_ids.*must be a scope tag id`},
	}
	var steps []resource.TestStep
	for _, c := range cases {
		steps = append(steps, resource.TestStep{Config: c.config, PlanOnly: true, ExpectError: regexp.MustCompile(c.want)})
	}
	accTest(t, resource.TestCase{Steps: steps})
}

// Renaming must not upload the profile again; a payload change must.
// The configuration's identity is its id, set on create, kept by update
// and refresh, and an import block with that identity adopts it.
func TestAccConfiguration_identity(t *testing.T) {
	fileName, payload := testPayload(t, uniqueName(t))
	name := uniqueName(t)
	accTest(t, resource.TestCase{
		TerraformVersionChecks: needsIdentity(),
		CheckDestroy:           checkConfigurationsGone(t),
		Steps: []resource.TestStep{
			{
				Config: configurationConfig(name, fileName, payload),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentity(configurationResourceName, map[string]knownvalue.Check{"id": knownvalue.StringRegexp(guidPattern)}),
					statecheck.ExpectIdentityValueMatchesState(configurationResourceName, tfjsonpath.New("id")),
				},
			},
			{
				Config: configurationConfig(name+" renamed", fileName, payload),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentityValueMatchesState(configurationResourceName, tfjsonpath.New("id")),
				},
			},
			{
				ResourceName:    configurationResourceName,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
			},
		},
	})
}

// A configuration made in the portal without an expiry reads with
// "expirationDateTime": null (nullable in Microsoft's metadata). Both data
// sources and the resource show it as null, and importing it into a
// configuration that leaves expiration_date_time out plans no change: the
// profile's ExpirationDate is taken only when the payload changes, not even
// when something else does. The resource and the single data source show
// the profile.
func TestAccConfiguration_portalMadeWithoutExpiry(t *testing.T) {
	needsEmulator(t)
	id, name := uuid.NewString(), uniqueName(t)
	fileName, payload := testPayload(t, name)
	raw, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		t.Fatal(err)
	}
	emulator.AddConfiguration(id, name)
	if err := emulator.EditConfiguration(id, func(c *graphfake.ConfigurationState) {
		c.Expiration = time.Time{} // null
		c.PayloadFileName, c.Payload = fileName, raw
	}); err != nil {
		t.Fatal(err)
	}
	config := fmt.Sprintf(`
data "intune_ios_lob_provisioning_configuration" "by_id" {
  id = %[1]q
}

data "intune_ios_lob_provisioning_configurations" "by_prefix" {
  display_name_prefix = %[2]q
}

import {
  to = intune_ios_lob_provisioning_configuration.test
  id = %[1]q
}
`, id, name) + configurationConfig(name, fileName, payload)
	accTest(t, resource.TestCase{
		CheckDestroy: checkConfigurationsGone(t),
		Steps: []resource.TestStep{{
			Config: config,
			ConfigPlanChecks: plansThenEmpty(
				plancheck.ExpectResourceAction(configurationResourceName, plancheck.ResourceActionNoop),
				plancheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("expiration_date_time"), knownvalue.Null()),
			),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("expiration_date_time"), knownvalue.Null()),
				statecheck.ExpectKnownValue("data.intune_ios_lob_provisioning_configuration.by_id", tfjsonpath.New("expiration_date_time"), knownvalue.Null()),
				statecheck.ExpectKnownValue("data.intune_ios_lob_provisioning_configurations.by_prefix",
					tfjsonpath.New("configurations").AtSliceIndex(0).AtMapKey("expiration_date_time"), knownvalue.Null()),
				statecheck.ExpectKnownValue("data.intune_ios_lob_provisioning_configurations.by_prefix", tfjsonpath.New("ids"),
					knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact(id)})),
				statecheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("profile").AtMapKey("name"), knownvalue.NotNull()),
				statecheck.CompareValuePairs("data.intune_ios_lob_provisioning_configuration.by_id", tfjsonpath.New("profile"),
					configurationResourceName, tfjsonpath.New("profile"), compare.ValuesSame()),
			},
		}, {
			Config: configurationConfig(name, fileName, payload, `description = "renamed in Terraform"`),
			ConfigPlanChecks: plansThenEmpty(
				plancheck.ExpectResourceAction(configurationResourceName, plancheck.ResourceActionUpdate),
				plancheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("expiration_date_time"), knownvalue.Null()),
			),
			Check: checkEmulatorConfiguration(func(c graphfake.ConfigurationState) error {
				if !c.Expiration.IsZero() || c.Description != "renamed in Terraform" {
					return fmt.Errorf("emulator holds expiry %v, description %q; want null and the new description", c.Expiration, c.Description)
				}
				return nil
			}),
		}},
	})
}

func TestConfigurationInputSendsOnlyChanges(t *testing.T) {
	ctx := context.Background()
	tags, _ := types.SetValueFrom(ctx, types.StringType, []string{"0"})
	exp := newRFC3339Time(time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC))
	state := configurationResourceModel{
		configurationAttributes: configurationAttributes{
			DisplayName: types.StringValue("a"), Description: types.StringValue("d"), PayloadFileName: types.StringValue("a.xml"),
			ExpirationDateTime: exp, RoleScopeTagIDs: tags,
		},
		Payload: types.StringValue(b64("one")),
	}

	create, _ := configurationInput(ctx, state, nil)
	if create.DisplayName == nil || create.Payload == nil || create.PayloadFileName == nil || create.Description == nil || create.ExpirationDateTime == nil || create.RoleScopeTagIDs == nil {
		t.Errorf("create leaves something out: %+v", create)
	}

	rename := state
	rename.DisplayName = types.StringValue("b")
	rename.Description = types.StringNull()
	rename.ExpirationDateTime = rfc3339Value{StringValue: types.StringValue("2027-01-31T09:00:00+09:00")} // same instant
	in, _ := configurationInput(ctx, rename, &state)
	if in.DisplayName == nil || *in.DisplayName != "b" || in.Description == nil || *in.Description != "" {
		t.Errorf("rename: %+v", in)
	}
	if in.Payload != nil || in.PayloadFileName != nil || in.ExpirationDateTime != nil || in.RoleScopeTagIDs != nil {
		t.Errorf("rename sends unchanged fields: %+v", in)
	}

	renew := state
	renew.Payload = types.StringValue(b64("two"))
	in, _ = configurationInput(ctx, renew, &state)
	if in.Payload == nil || *in.Payload != b64("two") || in.DisplayName != nil || in.Description != nil {
		t.Errorf("payload change: %+v", in)
	}
}

func TestRFC3339SemanticEquality(t *testing.T) {
	ctx := context.Background()
	v := func(s string) rfc3339Value { return rfc3339Value{StringValue: types.StringValue(s)} }
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"2027-01-31T01:00:00+01:00", "2027-01-31T00:00:00Z", true},
		{"2027-01-31T00:00:00.000Z", "2027-01-31T00:00:00Z", true},
		{"2027-01-31T00:00:01Z", "2027-01-31T00:00:00Z", false},
		{"garbage", "2027-01-31T00:00:00Z", false},
	} {
		if got, _ := v(c.a).StringSemanticEquals(ctx, v(c.b)); got != c.want {
			t.Errorf("%s vs %s: %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestSamePayload(t *testing.T) {
	if !samePayload("cGF5bG9hZA==", "cGF5bG9hZA") || samePayload("cGF5bG9hZA==", "cGF5bG9hZQ==") || samePayload("", "cGF5bG9hZA==") {
		t.Error("samePayload compares the wrong thing")
	}
}
