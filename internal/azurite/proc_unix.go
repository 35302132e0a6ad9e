//go:build unix

package azurite

import (
	"os/exec"
	"syscall"
)

// Azurite runs in a process group of its own, so that stopping it ends node
// and anything node started.
func ownGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

// signalGroup asks the group to end (SIGTERM), or ends it (SIGKILL).
func signalGroup(cmd *exec.Cmd, kill bool) {
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	_ = syscall.Kill(-cmd.Process.Pid, sig)
}
