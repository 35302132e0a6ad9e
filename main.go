package main

import (
	"context"
	"flag"
	"log"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/intunetf/terraform-provider-intune/internal/lifeline"
	"github.com/intunetf/terraform-provider-intune/internal/provider"
)

// version is set by goreleaser: -X main.version=...
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	if !debug { // under a debugger, the provider outlives the Terraform runs it serves
		// Terraform's crash handler and SIGKILL do not stop plugins, and
		// go-plugin leaves them orphaned: exit at once, before anything more
		// is written to Intune.
		lifeline.Watch(func() {
			log.Println("[ERROR] the Terraform process that started this provider has exited; stopping")
			os.Exit(1)
		})
	}
	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/intunetf/intune",
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}
