//go:build !linux

package provider

import "syscall"

func wrappedCLIProcAttr() *syscall.SysProcAttr { return nil }
