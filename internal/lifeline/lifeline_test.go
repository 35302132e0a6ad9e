//go:build linux

package lifeline

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/intunetf/terraform-provider-intune/internal/tfharness"
)

// The test binary plays two roles besides the test, chosen by this variable:
// "parent" (Terraform) starts a "plugin"; "plugin" (the provider) watches its
// parent, prints its pid once it does, and otherwise sits idle, writing
// nothing more, as a provider waiting for Graph does.
const roleVar = "LIFELINE_TEST_ROLE"

func TestMain(m *testing.M) {
	switch os.Getenv(roleVar) {
	case "parent":
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), roleVar+"=plugin")
		cmd.Stdout = os.Stdout
		if err := cmd.Start(); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		time.Sleep(time.Hour) // until the test kills it
		os.Exit(0)
	case "plugin":
		Watch(func() { os.Exit(3) })
		fmt.Println(os.Getpid())
		time.Sleep(time.Hour)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// A plugin whose parent is killed with SIGKILL exits by itself. The bound
// is a minute, for a busy machine; it polls every 250 ms.
func TestPluginExitsWhenItsParentIsKilled(t *testing.T) {
	parent := exec.Command(os.Args[0])
	parent.Env = append(os.Environ(), roleVar+"=parent")
	out, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	plugin, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("the plugin said %q", line)
	}
	t.Cleanup(func() { _ = syscall.Kill(plugin, syscall.SIGKILL) })

	if err := parent.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = parent.Wait()
	killed := time.Now()
	deadline := killed.Add(time.Minute)
	for tfharness.ProcessAlive(plugin) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if tfharness.ProcessAlive(plugin) {
		t.Fatalf("the plugin %d still runs a minute after its parent was killed", plugin)
	}
	t.Logf("the plugin exited %.2fs after its parent was killed", time.Since(killed).Seconds())
}
