package provider

import "syscall"

// The CLI dies with the wrapper, as terraform-exec has it die with the test.
func wrappedCLIProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
