package e2e

import (
	"context"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
	"github.com/intunetf/terraform-provider-intune/internal/tfharness"
)

// An apply of 50 resources is interrupted after its first writes, with
// SIGINT (Ctrl-C) or SIGKILL (a runner that dies); then `terraform apply`
// again exits 0, every configuration holds exactly its plan, the next plan
// is empty, and configurations with assignments made outside Terraform are
// untouched.
//
// The interrupted apply is made slow on purpose, so that every kind of wait
// is in progress when the signal comes: a write budget of 5 per 20 s (the
// limiter waits), reads that lag an hour behind each assign (read-backs
// wait), and 429s from the emulator's Intune limit (retry back-off). After
// SIGINT those waits end at once (Terraform stops the provider, which ends
// every request's context); without that, Terraform would wait them out, to
// the create timeout of 10 minutes. The bounds below tell the two apart
// with minutes to spare, so a busy machine cannot fail them; the log says
// how long it really took (about a second).
func TestAccInterrupt_sigint(t *testing.T) { testInterrupt(t, syscall.SIGINT) }

func TestAccInterrupt_sigkill(t *testing.T) { testInterrupt(t, syscall.SIGKILL) }

const interruptCount = 50

func testInterrupt(t *testing.T, sig syscall.Signal) {
	limit := graphfake.IntuneWriteLimit()
	w := newWorkspace(t, graphfake.Options{WriteLimit: &limit, Latency: 20 * time.Millisecond, ReadLag: time.Hour})
	resources := tfharness.Resources(interruptCount)
	for _, r := range resources {
		w.srv.AddConfiguration(r.ConfigurationID, "interrupt "+r.ConfigurationID)
	}
	// Configurations the run does not manage, with assignments from the portal.
	portal := []string{"0a0a0a0a-0000-4000-8000-00000000000a", "0b0b0b0b-0000-4000-8000-00000000000b"}
	portalTargets := []graphfake.Target{{ODataType: "#microsoft.graph.allDevicesAssignmentTarget", FilterType: "none"}}
	for _, id := range portal {
		w.srv.AddConfiguration(id, "portal")
		if err := w.srv.SetAssignments(id, []string{"0c0c0c0c-0000-4000-8000-00000000000c"}, portalTargets); err != nil {
			t.Fatal(err)
		}
	}
	w.writeConfig("variable \"writes_per_window\" {\n  default = 100\n}\n\nprovider \"intune\" {\n  writes_per_window = var.writes_per_window\n}\n\n" +
		tfharness.Configuration("", resources))

	assigns := func() int {
		n := 0
		for _, r := range w.srv.Requests() {
			if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/assign") && r.Status == http.StatusNoContent {
				n++
			}
		}
		return n
	}
	res, intr, err := w.tf.RunInterrupted(context.Background(), w.dir, func() bool { return assigns() >= 3 }, sig,
		"apply", "-auto-approve", "-input=false", "-parallelism=10", "-var", "writes_per_window=5", "-no-color")
	if err != nil {
		t.Fatal(err)
	}
	if intr.At.IsZero() {
		t.Fatalf("the apply ended before its first writes (exit %d):\n%s", res.ExitCode, res.Output)
	}
	ended := time.Now()
	t.Logf("%v after %d writes; terraform exited %d, %.1fs after the signal", sig, assigns(), res.ExitCode, ended.Sub(intr.At).Seconds())
	if res.ExitCode == 0 {
		t.Fatalf("the interrupted apply exited 0:\n%s", res.Output)
	}
	if sig == syscall.SIGINT {
		if d := ended.Sub(intr.At); d > 5*time.Minute {
			t.Errorf("terraform took %v to exit after SIGINT: the provider's waits were not cut short", d)
		}
		if !strings.Contains(res.Output, "Interrupt received") {
			t.Errorf("terraform did not see the interrupt:\n%s", res.Output)
		}
	}
	// No provider process outlives Terraform by more than a few seconds (the
	// bound is a minute, for a busy machine; the log says how long it took).
	if len(intr.ProviderPIDs) == 0 {
		t.Fatal("no provider process was seen")
	}
	deadline := time.Now().Add(time.Minute)
	for _, pid := range intr.ProviderPIDs {
		for tfharness.ProcessAlive(pid) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if tfharness.ProcessAlive(pid) {
			t.Errorf("provider process %d still runs %v after terraform exited", pid, time.Since(ended).Round(time.Second))
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	t.Logf("%d provider processes, all gone %.1fs after terraform exited", len(intr.ProviderPIDs), time.Since(ended).Seconds())
	if sig == syscall.SIGKILL {
		// A killed Terraform leaves its lock info behind; the lock itself
		// (an OS file lock) died with it.
		_ = os.Remove(w.dir + "/.terraform.tfstate.lock.info")
	}

	// The service settles (reads catch up); the user applies again.
	w.srv.SetReadLag(0)
	again := w.run([]string{"apply", "-auto-approve", "-input=false", "-parallelism=10"})
	checkHolds(t, w.srv, resources, false)
	w.run([]string{"plan", "-detailed-exitcode", "-input=false"}) // exit 0: no changes
	for _, id := range portal {
		groups, targets, _ := w.srv.Assignments(id)
		if groupKeys(groups) != "0c0c0c0c-0000-4000-8000-00000000000c" || targetKeys(targets) != targetKeys(portalTargets) {
			t.Errorf("configuration %s, not managed by Terraform, now holds %v %v", id, groups, targets)
		}
	}
	t.Logf("the second apply took %.1fs", again.Wall.Seconds())
}
