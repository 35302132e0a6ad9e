package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
	"github.com/intunetf/terraform-provider-intune/internal/tfharness"
)

// An apply of 50 profile assignments and 25 app assignments (the two
// resources of the one assignment engine) is interrupted once assigns of
// both have gone through, with SIGINT (Ctrl-C) or SIGKILL (a runner that
// dies); then `terraform apply` again exits 0, every configuration and
// every app holds exactly its plan, the next plan is empty, and
// configurations and apps with assignments made outside Terraform are
// untouched. No run may crash: tfharness returns a *CrashError for a CLI
// that panicked (Terraform 1.16.4 did, saving a failed Create's partial
// state) or a plugin that did, which fails the test with the panic.
//
// The interrupted apply is made slow on purpose, so that every kind of wait
// is in progress when the signal comes: a write budget of 5 per 20 s (the
// limiter waits), 429s from the emulator's Intune limit (retry back-off),
// and in the readLag variants reads that lag an hour behind each assign
// (read-backs wait, so Creates fail after their assign went through). After
// SIGINT those waits end at once (Terraform stops the provider, which ends
// every request's context); without that, Terraform would wait them out, to
// the create timeout of 10 minutes. The bounds below tell the two apart
// with minutes to spare, so a busy machine cannot fail them; the log says
// how long it really took (about a second).
func TestAccInterrupt_sigint(t *testing.T) { testInterrupt(t, syscall.SIGINT, 0) }

func TestAccInterrupt_sigintReadLag(t *testing.T) { testInterrupt(t, syscall.SIGINT, time.Hour) }

// SIGKILL gives Terraform no chance to stop its provider: the provider
// notices that its parent is gone and exits (main.go), so nothing is
// written after the writes that were in flight at the kill.
func TestAccInterrupt_sigkill(t *testing.T) { testInterrupt(t, syscall.SIGKILL, 0) }

func TestAccInterrupt_sigkillReadLag(t *testing.T) { testInterrupt(t, syscall.SIGKILL, time.Hour) }

const (
	interruptCount = 50
	interruptApps  = 25
	// interruptWrites is the interrupted apply's write budget per window,
	// and so the most writes that can be in flight when the signal comes.
	interruptWrites = 5
)

func testInterrupt(t *testing.T, sig syscall.Signal, readLag time.Duration) {
	limit := graphfake.IntuneWriteLimit()
	w := newWorkspace(t, graphfake.Options{WriteLimit: &limit, Latency: 20 * time.Millisecond, ReadLag: readLag})
	resources := tfharness.Resources(interruptCount)
	for _, r := range resources {
		w.srv.AddConfiguration(r.ConfigurationID, "interrupt "+r.ConfigurationID)
	}
	// One app more than the run manages: the last, assigned in the portal.
	allApps := tfharness.AppResources(interruptApps + 1)
	apps, portalApps := allApps[:interruptApps], allApps[interruptApps:]
	if err := tfharness.SeedApps(w.srv, allApps); err != nil {
		t.Fatal(err)
	}
	for _, a := range portalApps {
		if err := w.srv.SetAppAssignments(a.AppID, a.Assignments); err != nil {
			t.Fatal(err)
		}
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
		tfharness.Configuration("", resources) + tfharness.AppConfiguration(apps))

	// assignsBetween counts the assigns (to configurations and to apps) that
	// reached the emulator in [from, to), whatever it answered: writes the
	// provider sent.
	assignsBetween := func(from, to time.Time) int {
		n := 0
		for _, r := range w.srv.Requests() {
			if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/assign") && !r.Received.Before(from) && r.Received.Before(to) {
				n++
			}
		}
		return n
	}
	// assigned counts the assigns Graph accepted, and those of them to apps.
	assigned := func() (all, toApps int) {
		for _, r := range w.srv.Requests() {
			if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/assign") && r.Status == http.StatusNoContent {
				all++
				if strings.Contains(r.Path, "/mobileApps/") {
					toApps++
				}
			}
		}
		return all, toApps
	}
	// The signal comes once assigns of both resources went through. Every
	// resource runs at once (-parallelism covers them all) and waits for the
	// write budget, so Creates that wait on lagging reads hold no slot an
	// app assignment needs; with 5 writes a window the apply is then far
	// from done.
	res, intr, err := w.tf.RunInterrupted(context.Background(), w.dir, func() bool {
		all, toApps := assigned()
		return all >= 3 && toApps >= 1 && all > toApps
	}, sig, "apply", "-auto-approve", "-input=false", fmt.Sprintf("-parallelism=%d", len(resources)+len(apps)),
		"-var", fmt.Sprintf("writes_per_window=%d", interruptWrites), "-no-color")
	if err != nil {
		// A *tfharness.CrashError shows the panic.
		t.Fatalf("the interrupted apply: %v", err)
	}
	if intr.At.IsZero() {
		t.Fatalf("the apply ended before its first writes (exit %d):\n%s", res.ExitCode, res.Output)
	}
	ended := time.Now()
	all, toApps := assigned()
	t.Logf("%v after %d writes (%d to apps); terraform exited %d, %.1fs after the signal", sig, all, toApps, res.ExitCode, ended.Sub(intr.At).Seconds())
	if d := ended.Sub(intr.At); sig == syscall.SIGINT && d > 5*time.Minute {
		t.Errorf("terraform took %v to exit after SIGINT: the provider's waits were not cut short", d)
	}
	gone := interrupted(t, "the interrupted apply", sig, res, intr, w.dir, ended)

	// The service settles (reads catch up); the user applies again.
	w.srv.SetReadLag(0)
	settled := time.Now()
	again := w.run([]string{"apply", "-auto-approve", "-input=false", "-parallelism=10"})
	if sig == syscall.SIGKILL {
		// Counted now that every write of the killed run has been answered
		// and logged. Terraform died at the kill: what reached Graph after
		// it was in flight then, which the write budget (one for both
		// resources) caps, and nothing came after the providers were gone.
		// A provider that lived on would write the next window's budget,
		// and more.
		if n := assignsBetween(intr.At, settled); n > interruptWrites {
			t.Errorf("%d assigns reached Graph after terraform was killed; at most %d (the write budget) can have been in flight", n, interruptWrites)
		}
		if n := assignsBetween(gone, settled); n > 0 {
			t.Errorf("%d assigns reached Graph after every provider process was gone", n)
		}
	}
	checkHolds(t, w.srv, resources, false)
	checkAppsHold(t, w.srv, apps, "apps are not as planned")
	w.run([]string{"plan", "-detailed-exitcode", "-input=false"}) // exit 0: no changes
	for _, id := range portal {
		groups, targets, _ := w.srv.Assignments(id)
		if tfharness.GroupsKey(groups) != "[0c0c0c0c-0000-4000-8000-00000000000c]" || tfharness.TargetsKey(targets) != tfharness.TargetsKey(portalTargets) {
			t.Errorf("configuration %s, not managed by Terraform, now holds %v %v", id, groups, targets)
		}
	}
	checkAppsHold(t, w.srv, portalApps, "apps not managed by Terraform changed")
	t.Logf("the second apply took %.1fs", again.Wall.Seconds())
}

// interrupted checks what every interrupted apply must end with: Terraform
// failed, having seen a SIGINT, and no provider process outlived it by more
// than a minute (a generous bound for a busy machine; the log says how long
// they took). After a SIGKILL it removes the lock info Terraform left in dir
// (the lock itself, an OS file lock, died with it). It returns when the
// provider processes were gone.
func interrupted(t *testing.T, what string, sig syscall.Signal, res tfharness.Result, intr tfharness.Interruption, dir string, ended time.Time) time.Time {
	t.Helper()
	if res.ExitCode == 0 {
		t.Fatalf("%s exited 0 after %v:\n%s", what, sig, res.Output)
	}
	if sig == syscall.SIGINT && !strings.Contains(res.Output, "Interrupt received") {
		t.Errorf("terraform did not see the interrupt:\n%s", res.Output)
	}
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
	gone := time.Now()
	t.Logf("%s: %d provider process(es), all gone %.1fs after terraform exited", what, len(intr.ProviderPIDs), gone.Sub(ended).Seconds())
	if sig == syscall.SIGKILL {
		_ = os.Remove(filepath.Join(dir, ".terraform.tfstate.lock.info"))
	}
	return gone
}
