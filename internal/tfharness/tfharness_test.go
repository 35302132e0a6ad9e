package tfharness

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
)

func TestBanner(t *testing.T) {
	for out, want := range map[string]string{
		"Terraform v1.16.4\non linux_amd64\n": "Terraform v1.16.4",
		"OpenTofu v1.10.10\non linux_amd64\n": "OpenTofu v1.10.10",
		// OpenTofu 1.12 with a TF_CLI_CONFIG_FILE that does not exist.
		"\nWarning: Unable to open CLI configuration file\n\nThe CLI configuration file at \"/x\" does not exist.\nOpenTofu v1.12.6\non linux_amd64\n": "OpenTofu v1.12.6",
		"something else\n": "",
	} {
		if got := Banner([]byte(out)); got != want {
			t.Errorf("Banner(%q) = %q, want %q", out, got, want)
		}
	}
}

// Outputs as Terraform 1.16.4 and OpenTofu print them, shortened.
const (
	terraformCrash = "Interrupt received.\nStopping operation...\n\n" +
		"!!!!!!!!!!!!!!!!!!!!!!!!!!! TERRAFORM CRASH !!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\nTerraform crashed! ...\n\n" +
		"panic: 2 problems:\n\n- Failed to serialize resource instance in state: Instance x.r6 has status ObjectStatus(0)\n" +
		"goroutine 609 [running]:\n"
	openTofuCrash = "!!!!!!!!!!!!!!!!!!!!!!!!!!! OPENTOFU CRASH !!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\npanic: boom\ngoroutine 1 [running]:\n"
	pluginCrash   = "intune_ios_lob_provisioning_assignment.r1: Creating...\n\nStack trace from the terraform-provider-intune plugin:\n\n" +
		"panic: runtime error: invalid memory address or nil pointer dereference\ngoroutine 42 [running]:\n\n" +
		"Error: The terraform-provider-intune plugin crashed!\n"
	plainError = "Error: Unable to assign provisioning configuration\n\nCould not assign configuration x: HTTP 400\n"
)

func TestDetectCrash(t *testing.T) {
	for _, c := range []struct {
		name      string
		exit      int
		output    string
		wantPanic string // "" for no crash
	}{
		{"terraform banner", 11, terraformCrash, "panic: 2 problems:"},
		{"terraform banner, exit code lost", 1, terraformCrash, "panic: 2 problems:"},
		{"opentofu banner", 11, openTofuCrash, "panic: boom"},
		{"plugin crashed", 1, pluginCrash, "panic: runtime error"},
		{"exit 11 alone", 11, "something odd\n", "something odd"},
		{"an error", 1, plainError, ""},
		{"success", 0, "Apply complete! Resources: 1 added, 0 changed, 0 destroyed.\n", ""},
		{"a lower-case mention is not a banner", 1, "Error: terraform crash course\n", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := DetectCrash([]string{"apply"}, c.exit, c.output)
			switch {
			case c.wantPanic == "" && err != nil:
				t.Fatalf("a crash in %q: %v", c.output, err)
			case c.wantPanic == "":
			case err == nil:
				t.Fatalf("no crash in %q (exit %d)", c.output, c.exit)
			case !strings.HasPrefix(err.Panic, c.wantPanic):
				t.Errorf("panic text %q, want it to start with %q", err.Panic, c.wantPanic)
			case !strings.Contains(err.Error(), c.wantPanic) || !strings.Contains(err.Error(), "apply"):
				t.Errorf("the error %q does not show the command and the panic", err)
			}
		})
	}
}

// A CLI that crashes is an error of Run and RunInterrupted, whatever the
// caller expects of the exit code.
func TestRunReportsACrash(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "terraform")
	// It ignores SIGINT, as Terraform does while it stops (RunInterrupted's).
	script := "#!/bin/sh\ntrap '' INT\ncat <<'OUT'\n" + terraformCrash + "OUT\nexit 11\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	tf := &Terraform{Path: fake, Env: os.Environ()}
	res, err := tf.Run(context.Background(), dir, "apply", "-auto-approve")
	var crash *CrashError
	if !errors.As(err, &crash) {
		t.Fatalf("Run: err %v, want a *CrashError (exit %d, output %q)", err, res.ExitCode, res.Output)
	}
	if crash.ExitCode != 11 || !strings.HasPrefix(crash.Panic, "panic: 2 problems:") || !slices.Equal(crash.Args, []string{"apply", "-auto-approve"}) {
		t.Errorf("crash %+v", crash)
	}
	_, _, err = tf.RunInterrupted(context.Background(), dir, func() bool { return true }, os.Interrupt, "apply")
	if !errors.As(err, &crash) {
		t.Errorf("RunInterrupted: err %v, want a *CrashError", err)
	}

	// A CLI that fails without crashing is no error: the exit code says it.
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho 'Error: nope'\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if res, err := tf.Run(context.Background(), dir, "apply"); err != nil || res.ExitCode != 1 {
		t.Errorf("a failing CLI: exit %d, err %v; want exit 1 and no error", res.ExitCode, err)
	}
}

// AppAssignmentsKey compares sets as Graph does: order, case, ids, an empty
// filter type and null settings spelled as their defaults do not count; an
// intent or a setting does.
func TestAppAssignmentsKey(t *testing.T) {
	no, yes := false, true
	group := graphfake.Target{ODataType: groupType, GroupID: guid(2, 1), FilterID: guid(4, 1), FilterType: "include"}
	devices := graphfake.Target{ODataType: allDevicesType}
	set := []graphfake.AppAssignment{{ID: "1", Intent: "required", Target: group}, {Intent: "uninstall", Target: devices}}
	upper := group
	upper.GroupID, upper.FilterID = strings.ToUpper(group.GroupID), strings.ToUpper(group.FilterID)
	devicesNone := devices
	devicesNone.FilterType = "none"
	same := []graphfake.AppAssignment{
		{ID: "2", Intent: "uninstall", Target: devicesNone, Settings: &graphfake.IOSLobAppAssignmentSettings{UninstallOnDeviceRemoval: &yes, IsRemovable: &yes, PreventManagedAppBackup: &no}},
		{ID: "3", Intent: "required", Target: upper},
	}
	if a, b := AppAssignmentsKey(set), AppAssignmentsKey(same); a != b {
		t.Errorf("the same set has two keys:\n%s\n%s", a, b)
	}
	for _, other := range [][]graphfake.AppAssignment{
		set[:1],
		{set[0], {Intent: "required", Target: devices}},
		{set[0], {Intent: "uninstall", Target: devices, Settings: &graphfake.IOSLobAppAssignmentSettings{IsRemovable: &no}}},
	} {
		if AppAssignmentsKey(other) == AppAssignmentsKey(set) {
			t.Errorf("%v has the key of %v", AppAssignmentsKey(other), AppAssignmentsKey(set))
		}
	}
}

func TestCollectionKeys(t *testing.T) {
	g1, g2 := guid(2, 1), guid(3, 1)
	if a, b := GroupsKey([]string{g1, g2}), GroupsKey([]string{strings.ToUpper(g2), g1}); a != b {
		t.Errorf("the same groups have two keys: %s, %s", a, b)
	}
	if GroupsKey([]string{g1}) == GroupsKey([]string{g1, g2}) {
		t.Error("one group has the key of two")
	}
	group := graphfake.Target{ODataType: groupType, GroupID: g1, FilterID: guid(4, 1), FilterType: "include"}
	upper := group
	upper.GroupID = strings.ToUpper(g1)
	devices := graphfake.Target{ODataType: allDevicesType, FilterType: "none"}
	if a, b := TargetsKey([]graphfake.Target{group, devices}), TargetsKey([]graphfake.Target{devices, upper}); a != b {
		t.Errorf("the same targets have two keys: %s, %s", a, b)
	}
	excluded := group
	excluded.FilterType = "exclude"
	if TargetsKey([]graphfake.Target{group}) == TargetsKey([]graphfake.Target{excluded}) {
		t.Error("an include filter has the key of an exclude filter")
	}
}
