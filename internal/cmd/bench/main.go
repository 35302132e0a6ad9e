// Command bench is the end-to-end benchmark behind `make bench`. It builds
// the release binary, then drives the real Terraform CLI against the
// in-process Graph emulator with a per-request latency (150 ms by default,
// a real tenant's round trip) and -parallelism=10, for N = 1, 50 and 200
// resources: apply, a refresh-only plan and destroy. Each is compared with
// its floor, T0 + ceil(N/P) * R * L, where T0 is the same operation with no
// latency (Terraform's own work), R the round trips each resource needs
// (apply 3: the read before the write, the assign and the read-back;
// refresh 1; destroy 2: the plan's read and the assign) and L the latency.
// Then it measures the write budget against Intune's limits (budget.go) and
// the requests and round trips under each read behaviour of Graph
// (reads.go), the upload of a large .ipa to Azurite (upload.go), the
// release binary and the schema fetch. It prints Markdown
// tables, and exits 1 when a budget is missed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
	"github.com/intunetf/terraform-provider-intune/internal/tfharness"
)

func main() {
	terraform := flag.String("terraform", "terraform", "the Terraform CLI to drive")
	latency := flag.Duration("latency", 150*time.Millisecond, "emulated round-trip latency of every request")
	sizes := flag.String("n", "1,50,200", "resource counts, comma-separated")
	parallelism := flag.Int("parallelism", 10, "terraform -parallelism")
	throttledN := flag.Int("throttled-n", 200, "resources in the runs against Intune's write limit (0 skips them)")
	throttledLatency := flag.Duration("throttled-latency", 50*time.Millisecond, "latency of the runs against Intune's write limit")
	unthrottledN := flag.Int("unthrottled-n", 100, "resources in the apply with no write limit at -latency (0 skips it)")
	readsN := flag.Int("reads-n", 20, "resources in the runs under each read behaviour of Graph (0 skips them)")
	uploadSize := flag.Int64("upload-size", 1<<30, "bytes of the .ipa uploaded through terraform apply to Azurite (0 skips the upload benchmark)")
	flag.Parse()
	var ns []int
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "bench: -n %q: want positive numbers\n", *sizes)
			os.Exit(2)
		}
		ns = append(ns, n)
	}
	b := &bench{terraform: *terraform, latency: *latency, parallelism: *parallelism, log: os.Stderr, readsN: *readsN, uploadSize: *uploadSize,
		throttledN: *throttledN, throttledLatency: *throttledLatency, unthrottledN: *unthrottledN}
	if err := b.run(ns); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type bench struct {
	terraform   string
	latency     time.Duration
	parallelism int
	log         io.Writer // progress; the table goes to stdout
	readsN      int
	uploadSize  int64

	throttledN, unthrottledN int
	throttledLatency         time.Duration
	work                     string
	pluginDir                string
	rc                       string
}

// measurement is one Terraform command against the emulator.
type measurement struct {
	res      tfharness.Result
	stats    graphfake.Stats
	tokens   int
	repeated int // Graph requests that repeated an earlier one and were not retries
	log      []graphfake.Request
}

// row is one line of the table.
type row struct {
	n         int
	op        string
	rounds    int // round trips per resource
	processes int // provider processes that call Graph, each authenticating once
	t0, lat   measurement
}

func (b *bench) run(ns []int) error {
	start := time.Now()
	work, err := os.MkdirTemp("", "intune-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	b.work, b.pluginDir, b.rc = work, filepath.Join(work, "plugins"), filepath.Join(work, "terraformrc")

	fmt.Fprintln(b.log, "building the release binary (go build -trimpath -ldflags \"-s -w\")")
	bin, err := tfharness.BuildProvider(b.pluginDir, true)
	if err != nil {
		return err
	}
	fi, err := os.Stat(bin)
	if err != nil {
		return err
	}
	cli, err := tfharness.Identify(b.terraform)
	if err != nil {
		return err
	}
	if err := tfharness.WriteCLIConfig(b.rc, b.pluginDir, cli); err != nil {
		return err
	}
	schema, empty, err := b.schemaFetch()
	if err != nil {
		return err
	}

	var rows []row
	for _, n := range ns {
		var zero, slow [3]measurement
		for i, lat := range []time.Duration{0, b.latency} {
			fmt.Fprintf(b.log, "N=%d, latency %v: apply, refresh-only plan, destroy\n", n, lat)
			ms, err := b.cycle(n, lat)
			if err != nil {
				return err
			}
			if i == 0 {
				zero = ms
			} else {
				slow = ms
			}
		}
		for i, op := range []struct {
			name              string
			rounds, processes int
		}{{"apply", 3, 1}, {"refresh", 1, 1}, {"destroy", 2, 2}} {
			rows = append(rows, row{n: n, op: op.name, rounds: op.rounds, processes: op.processes, t0: zero[i], lat: slow[i]})
		}
	}

	var budgets []budgetRow
	if b.throttledN > 0 || b.unthrottledN > 0 {
		if budgets, err = b.writeBudget(); err != nil {
			return err
		}
	}

	var reads []readsRow
	if b.readsN > 0 {
		if reads, err = b.readBehaviours(b.readsN); err != nil {
			return err
		}
	}

	var upload *uploadRun
	if b.uploadSize > 0 {
		if upload, err = b.uploadBenchmark(b.uploadSize); err != nil {
			return fmt.Errorf("upload benchmark: %w", err)
		}
	}

	b.print(rows, fi.Size(), schema, empty, time.Since(start))
	return errors.Join(b.printBudgets(budgets), b.printReads(reads), b.printUpload(upload))
}

// workspace starts an emulator and a working directory for n resources.
func (b *bench) workspace(n int, opts graphfake.Options, providerBlock string) (*graphfake.Server, *tfharness.Terraform, string, error) {
	return b.workspaceOf(opts, providerBlock, func(srv *graphfake.Server) (string, error) {
		resources := tfharness.Resources(n)
		for _, r := range resources {
			srv.AddConfiguration(r.ConfigurationID, "bench")
		}
		return tfharness.Configuration("", resources), nil
	})
}

// workspaceOf starts an emulator and a working directory whose
// configuration, after providerBlock, resources makes (seeding what it
// needs in the emulator).
func (b *bench) workspaceOf(opts graphfake.Options, providerBlock string, resources func(*graphfake.Server) (string, error)) (*graphfake.Server, *tfharness.Terraform, string, error) {
	srv, err := graphfake.Start(opts)
	if err != nil {
		return nil, nil, "", err
	}
	dir, err := os.MkdirTemp(b.work, "ws")
	if err != nil {
		srv.Close()
		return nil, nil, "", err
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := srv.WriteCACert(caFile); err != nil {
		srv.Close()
		return nil, nil, "", err
	}
	hcl, err := resources(srv)
	if err != nil {
		srv.Close()
		return nil, nil, "", err
	}
	config := tfharness.RequiredProviders + "\n" + providerBlock + hcl
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o644); err != nil {
		srv.Close()
		return nil, nil, "", err
	}
	emu := tfharness.Emulator{URL: srv.URL(), CAFile: caFile, TenantID: srv.TenantID(), ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret()}
	return srv, &tfharness.Terraform{Path: b.terraform, Env: emu.Env(os.Environ(), b.rc)}, dir, nil
}

// unpaced lifts the provider's limiter: these runs measure round trips, and
// the emulator has no limit on. The runs against Intune's limit use the
// default.
const unpaced = "provider \"intune\" {\n  writes_per_window   = 100000\n  requests_per_window = 100000\n}\n"

// cycle runs apply, a refresh-only plan and destroy of n resources.
func (b *bench) cycle(n int, latency time.Duration) ([3]measurement, error) {
	var out [3]measurement
	srv, tf, dir, err := b.workspace(n, graphfake.Options{Latency: latency}, unpaced)
	if err != nil {
		return out, err
	}
	defer srv.Close()
	p := fmt.Sprintf("-parallelism=%d", b.parallelism)
	for i, args := range [][]string{
		{"apply", "-auto-approve", "-input=false", p},
		{"plan", "-refresh-only", "-input=false", p},
		{"destroy", "-auto-approve", "-input=false", p},
	} {
		if out[i], err = b.measure(srv, tf, dir, args...); err != nil {
			return out, err
		}
	}
	return out, nil
}

func (b *bench) measure(srv *graphfake.Server, tf *tfharness.Terraform, dir string, args ...string) (measurement, error) {
	srv.ResetRequests()
	tokens := srv.TokenRequests()
	res, err := tf.Run(context.Background(), dir, append(args, "-no-color")...)
	if err != nil {
		return measurement{}, err
	}
	if res.ExitCode != 0 {
		return measurement{}, fmt.Errorf("terraform %s exited %d:\n%s", strings.Join(args, " "), res.ExitCode, res.Output)
	}
	log := srv.Requests()
	m := measurement{res: res, stats: graphfake.Summarize(log), tokens: srv.TokenRequests() - tokens, log: log}
	// A read of a configuration is repeated when nothing was written to it
	// since the same read: Create's read before its assign and the read-back
	// after it are two reads of what may differ, not one read made twice.
	seen, ids := map[string]bool{}, map[string]bool{}
	for _, r := range log {
		key := r.Method + " " + r.Path + "?" + r.RawQuery
		if seen[key] && !ids[r.ClientRequestID] && !r.IsToken() {
			m.repeated++
		}
		seen[key], ids[r.ClientRequestID] = true, true
		if r.Method != http.MethodGet {
			entity := configurationOf(r.Path)
			for k := range seen {
				if entity != "" && strings.Contains(k, entity) {
					delete(seen, k)
				}
			}
		}
	}
	return m, nil
}

// configurationOf is the path of the configuration a request's path is
// under, "" if none.
func configurationOf(path string) string {
	const collection = "/iosLobAppProvisioningConfigurations/"
	i := strings.Index(path, collection)
	if i < 0 {
		return ""
	}
	rest := path[i+len(collection):]
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		rest = rest[:j]
	}
	return path[:i+len(collection)] + rest
}

// schemaFetch times `terraform providers schema -json` with the provider,
// and in an empty directory (Terraform's own start-up), median of 9 each.
func (b *bench) schemaFetch() (withProvider, empty time.Duration, err error) {
	dir := filepath.Join(b.work, "schema")
	emptyDir := filepath.Join(b.work, "schema-empty")
	for _, d := range []string{dir, emptyDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return 0, 0, err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(tfharness.RequiredProviders), 0o644); err != nil {
		return 0, 0, err
	}
	emu := tfharness.Emulator{} // no Graph is needed to describe the schema
	tf := &tfharness.Terraform{Path: b.terraform, Env: emu.Env(os.Environ(), b.rc)}
	median := func(d string, check func(string) error) (time.Duration, error) {
		var times []time.Duration
		for range 9 {
			res, err := tf.Run(context.Background(), d, "providers", "schema", "-json")
			if err != nil {
				return 0, err
			}
			if res.ExitCode != 0 {
				return 0, fmt.Errorf("terraform providers schema -json exited %d:\n%s", res.ExitCode, res.Output)
			}
			if err := check(res.Output); err != nil {
				return 0, err
			}
			times = append(times, res.Wall)
		}
		slices.Sort(times)
		return times[len(times)/2], nil
	}
	withProvider, err = median(dir, func(out string) error {
		if !strings.Contains(out, "intune_ios_lob_provisioning_assignment") {
			return errors.New("the schema does not describe intune_ios_lob_provisioning_assignment")
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	empty, err = median(emptyDir, func(string) error { return nil })
	return withProvider, empty, err
}

func (b *bench) floor(r row) time.Duration {
	waves := int(math.Ceil(float64(r.n) / float64(b.parallelism)))
	return r.t0.res.Wall + time.Duration(waves*r.rounds)*b.latency
}

// authRoundTrips is what each provider process that calls Graph spends on
// authentication before its first call: the tenant's OpenID configuration
// and the token (instance discovery is off against the emulator).
const authRoundTrips = 2

// floorWithAuth adds the authentication round trips the floor leaves out.
func (b *bench) floorWithAuth(r row) time.Duration {
	return b.floor(r) + time.Duration(authRoundTrips*r.processes)*b.latency
}

func secs(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

func mib(bytes int64) string { return fmt.Sprintf("%.0f MiB", float64(bytes)/(1<<20)) }

func (b *bench) print(rows []row, binSize int64, schema, emptySchema time.Duration, total time.Duration) {
	fmt.Printf("\nLatency %v per request, -parallelism=%d; T0 = same operation at latency 0; floor = T0 + ceil(N/P) x round trips x latency.\n",
		b.latency, b.parallelism)
	fmt.Printf("Floor + auth adds the %d authentication round trips (OpenID configuration, token) of each provider process that calls Graph.\n", authRoundTrips)
	fmt.Printf("These runs lift the provider's limiter (the emulator has no limit here); the runs against Intune's limit below use the default.\n\n")
	fmt.Println("| N | operation | wall | T0 | floor | wall / floor | floor + auth | wall / (floor + auth) | Graph requests per resource | token requests | provider processes | peak RSS |")
	fmt.Println("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		f, fa := b.floor(r), b.floorWithAuth(r)
		fmt.Printf("| %d | %s | %s | %s | %s | %.2f | %s | %.2f | %.2f | %d | %d | %s |\n", r.n, r.op, secs(r.lat.res.Wall), secs(r.t0.res.Wall),
			secs(f), r.lat.res.Wall.Seconds()/f.Seconds(), secs(fa), r.lat.res.Wall.Seconds()/fa.Seconds(),
			float64(r.lat.stats.Graph)/float64(r.n), r.lat.tokens, r.lat.res.ProviderProcesses, mib(r.lat.res.PeakRSS))
	}
	repeated := 0
	for _, r := range rows {
		repeated += r.lat.repeated + r.t0.repeated
	}
	fmt.Printf("\nRequests repeated other than by a retry, all runs above: %d\n", repeated)
	fmt.Printf("\nRelease binary (go build -trimpath -ldflags \"-s -w\"): %.1f MB (%d bytes)\n", float64(binSize)/1e6, binSize)
	fmt.Printf("Schema fetch (terraform providers schema -json, median of 9): %d ms; the same command with no provider: %d ms\n",
		schema.Milliseconds(), emptySchema.Milliseconds())
	fmt.Printf("Benchmark wall time: %s\n", total.Round(time.Second))
}
