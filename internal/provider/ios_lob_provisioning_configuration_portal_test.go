package provider

import (
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
)

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
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(configurationResourceName, plancheck.ResourceActionNoop),
					plancheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("expiration_date_time"), knownvalue.Null()),
				},
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
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
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(configurationResourceName, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("expiration_date_time"), knownvalue.Null()),
				},
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			Check: checkEmulatorConfiguration(func(c graphfake.ConfigurationState) error {
				if !c.Expiration.IsZero() || c.Description != "renamed in Terraform" {
					return fmt.Errorf("emulator holds expiry %v, description %q; want null and the new description", c.Expiration, c.Description)
				}
				return nil
			}),
		}},
	})
}
