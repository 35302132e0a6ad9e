package e2e

import (
	"strings"
	"testing"

	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
	"github.com/intunetf/terraform-provider-intune/internal/tfharness"
)

// max_writes_per_second keeps working, and the CLI shows its deprecation,
// pointing to writes_per_window (plugin-testing cannot see warnings).
func TestAccSettings_maxWritesPerSecondIsDeprecated(t *testing.T) {
	w := newWorkspace(t, graphfake.Options{})
	resources := tfharness.Resources(1)
	w.srv.AddConfiguration(resources[0].ConfigurationID, "deprecated setting")
	w.writeConfig(tfharness.Configuration("provider \"intune\" {\n  max_writes_per_second = 2\n}\n", resources))
	res := w.run([]string{"apply", "-auto-approve", "-input=false"})
	out := strings.Join(strings.Fields(res.Output), " ") // the CLI wraps long lines
	for _, want := range []string{"Warning:", "Use writes_per_window", "max_writes_per_second = N now sets a budget of 20 x N writes per window", "Apply complete!"} {
		if !strings.Contains(out, want) {
			t.Errorf("the apply's output lacks %q:\n%s", want, res.Output)
		}
	}
	checkHolds(t, w.srv, resources, false)
	w.run([]string{"destroy", "-auto-approve", "-input=false"})
}
