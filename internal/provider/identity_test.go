package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// Resource identity (import blocks with `identity`, identities in state)
// came in Terraform 1.12 and OpenTofu 1.12 (OpenTofu 1.10 refuses the
// `identity` argument).
func needsIdentity() []tfversion.TerraformVersionCheck {
	return []tfversion.TerraformVersionCheck{skipBelow("1.12.0", "1.12.0")}
}

// withoutOpenTofu skips a test on OpenTofu, which lacks feature.
type withoutOpenTofu string

func (f withoutOpenTofu) CheckTerraformVersion(_ context.Context, _ tfversion.CheckTerraformVersionRequest, resp *tfversion.CheckTerraformVersionResponse) {
	if openTofu {
		resp.Skip = "OpenTofu has no " + string(f)
	}
}

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

// The assignment's identity is the configuration id in lower case: the
// identity of a configuration written in upper case, kept when only the
// case changes (an update that writes nothing), and an import block with
// `identity = { configuration_id = ... }`, in any case, adopts what the
// portal assigned.
func TestAccAssignment_identity(t *testing.T) {
	needsEmulator(t)
	f := newFixture(t, 2)
	upper := strings.ToUpper(f.ConfigurationID)
	lowerCaseIdentity := statecheck.ExpectIdentity(resourceName, map[string]knownvalue.Check{
		"configuration_id": knownvalue.StringExact(f.ConfigurationID),
	})
	if err := emulator.SetAssignments(f.ConfigurationID, []string{f.Groups[0]}, groupTargets(f.Groups[1])); err != nil {
		t.Fatal(err)
	}
	accTest(t, resource.TestCase{
		TerraformVersionChecks: needsIdentity(),
		CheckDestroy:           checkCollectionsEmpty(f.ConfigurationID),
		Steps: []resource.TestStep{
			{
				Config: fmt.Sprintf("import {\n  to = %s\n  identity = {\n    configuration_id = %q\n  }\n}\n\n", resourceName, upper) +
					groupsConfig(upper, []string{f.Groups[0]}, []string{f.Groups[1]}),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						expectImporting(resourceName),
						plancheck.ExpectResourceAction(resourceName, plancheck.ResourceActionNoop),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{lowerCaseIdentity},
				Check:             checkNoAssign(f.ConfigurationID),
			},
			{
				Config: groupsConfig(f.ConfigurationID, []string{f.Groups[0]}, []string{f.Groups[1]}),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(resourceName, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					lowerCaseIdentity,
					statecheck.ExpectKnownValue(resourceName, tfjsonpath.New("configuration_id"), knownvalue.StringExact(f.ConfigurationID)),
				},
				Check: checkNoAssign(f.ConfigurationID),
			},
			{
				ResourceName:    resourceName,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
			},
		},
	})
}
