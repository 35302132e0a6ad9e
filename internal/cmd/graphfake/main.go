// Command graphfake runs the Graph + Entra emulator of internal/graphfake as
// a standalone process, for `make demo` and for driving a real Terraform CLI
// by hand.
//
// It prints one line, GRAPHFAKE_URL=https://127.0.0.1:PORT, on stdout once it
// is serving, logs each request (method, path, status) on stderr, and runs
// until SIGINT or SIGTERM. Point clients at the URL as both the Graph
// endpoint and the authority host, and trust the CA written to -ca-file (for
// example with SSL_CERT_FILE). The client secret comes from
// GRAPHFAKE_CLIENT_SECRET so it never shows up in a process listing.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
	"github.com/intunetf/terraform-provider-intune/internal/tfharness"
)

const (
	defaultConfigurationID   = "00000000-0000-0000-0000-000000000001"
	defaultConfigurationName = "Demo provisioning profile"
	clientSecretEnv          = "GRAPHFAKE_CLIENT_SECRET"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.Is(err, errUsage):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "graphfake:", err)
		os.Exit(1)
	}
}

// errUsage marks errors already reported together with the usage text.
var errUsage = errors.New("usage error")

// seed is one -configuration flag: GUID[=displayName].
type seed struct{ id, displayName string }

type seedFlag []seed

func (f *seedFlag) String() string { return "" }

func (f *seedFlag) Set(value string) error {
	id, name, _ := strings.Cut(value, "=")
	if !graphfake.IsGUID(id) {
		return fmt.Errorf("%q is not a GUID (want GUID or GUID=display name)", id)
	}
	if name == "" {
		name = "Provisioning profile " + id
	}
	*f = append(*f, seed{id: id, displayName: name})
	return nil
}

func behaviourNames() string {
	names := make([]string, len(graphfake.ReadBehaviours))
	for i, b := range graphfake.ReadBehaviours {
		names[i] = string(b)
	}
	return strings.Join(names, ", ")
}

// run is main without the process plumbing, so it can be tested.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("graphfake", flag.ContinueOnError)
	flags.SetOutput(stderr)
	addr := flags.String("addr", graphfake.DefaultAddr, "listen address")
	caFile := flags.String("ca-file", "", "where to write the CA certificate (PEM); required")
	tenantID := flags.String("tenant-id", graphfake.DefaultTenantID, "tenant id the token service accepts")
	clientID := flags.String("client-id", graphfake.DefaultClientID, "client id the token service accepts (secret from $"+clientSecretEnv+")")
	pageSize := flags.Int("page-size", graphfake.DefaultPageSize, "items per page of collection reads")
	readLag := flags.Duration("read-lag", 0, "how long reads keep showing the previous assignments after an assign")
	latency := flags.Duration("latency", 0, "delay added to every answer, e.g. 150ms for a real tenant's round trip")
	writeLimit := flags.Bool("intune-write-limit", false, "throttle like Intune's app endpoints: per 20 s, 100 writes and 1000 requests per app, 200 and 2000 per tenant (429 + Retry-After)")
	throttleModel := flags.String("intune-throttle-model", string(graphfake.ThrottleTokenBucket), "how -intune-write-limit counts a window: token-bucket, sliding-window or fixed-window")
	readsFlag := flags.String("reads", string(graphfake.ReadsHonourExpand), "how $expand and the plain list are answered: one of "+behaviourNames())
	storageDir := flags.String("azurite-dir", "", "start Azurite (make azurite installs it) with its workspace in this directory, as the Storage server of app uploads; empty, app uploads fail as with no Storage")
	var seeds seedFlag
	flags.Var(&seeds, "configuration", "seed a configuration, GUID[=display name]; repeatable (default "+defaultConfigurationID+")")

	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "graphfake: unexpected arguments: %s\n", strings.Join(flags.Args(), " "))
		flags.Usage()
		return errUsage
	}
	if *caFile == "" {
		fmt.Fprintln(stderr, "graphfake: -ca-file is required")
		flags.Usage()
		return errUsage
	}
	reads, err := graphfake.ParseReadBehaviour(*readsFlag)
	if err != nil {
		fmt.Fprintln(stderr, err)
		flags.Usage()
		return errUsage
	}
	if !slices.Contains(graphfake.ThrottleModels, graphfake.ThrottleModel(*throttleModel)) {
		fmt.Fprintf(stderr, "graphfake: -intune-throttle-model %q: want token-bucket, sliding-window or fixed-window\n", *throttleModel)
		flags.Usage()
		return errUsage
	}
	if len(seeds) == 0 {
		seeds = seedFlag{{id: defaultConfigurationID, displayName: defaultConfigurationName}}
	}

	server, err := graphfake.Start(graphfake.Options{
		TenantID:     *tenantID,
		ClientID:     *clientID,
		ClientSecret: getenv(clientSecretEnv),
		PageSize:     *pageSize,
		Addr:         *addr,
		ReadLag:      *readLag,
		Latency:      *latency,
		Reads:        reads,
		OnRequest: func(r graphfake.Request) {
			fmt.Fprintf(stderr, "%s %s %d\n", r.Method, r.Path, r.Status)
		},
	})
	if err != nil {
		return err
	}
	defer server.Close()
	if *writeLimit {
		limit := graphfake.IntuneWriteLimit()
		limit.Model = graphfake.ThrottleModel(*throttleModel)
		server.SetWriteLimit(&limit)
	}

	if err := server.WriteCACert(*caFile); err != nil {
		return fmt.Errorf("write CA certificate: %w", err)
	}
	for _, s := range seeds {
		server.AddConfiguration(s.id, s.displayName)
	}
	if *storageDir != "" {
		st, err := tfharness.StartStorage(ctx, server, *storageDir)
		if err != nil {
			return fmt.Errorf("start Azurite: %w", err)
		}
		defer st.Stop()
		fmt.Fprintf(stderr, "graphfake: app uploads go to Azurite at %s\n", st.BlobEndpoint())
	}

	fmt.Fprintf(stderr, "graphfake: tenant %s, client %s, CA in %s, %d configuration(s)\n",
		server.TenantID(), server.ClientID(), *caFile, len(seeds))
	// os.Stdout is unbuffered, so a parent process reading this line sees it
	// as soon as it is written.
	if _, err := fmt.Fprintf(stdout, "GRAPHFAKE_URL=%s\n", server.URL()); err != nil {
		return err
	}

	<-ctx.Done()
	return nil
}
