// Package azurite starts and stops Azurite, Microsoft's Azure Storage
// emulator, as the real Storage server the tests and the demo upload .ipa
// content to. Azurite is an npm package pinned by tools/azurite/package.json
// and package-lock.json; `make azurite` installs it with `npm ci` (every
// make target that needs it does so first).
package azurite

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"
)

// Azurite's well-known development account (Microsoft documents both: "Use
// the Azurite emulator for local Azure Storage development").
const (
	AccountName = "devstoreaccount1"
	AccountKey  = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// Options says how to start Azurite.
type Options struct {
	// CertFile and KeyFile, PEM, make it serve HTTPS (as Azure Storage
	// does); empty, plain HTTP.
	CertFile, KeyFile string
	// Dir is its workspace (blobs and metadata); empty, a new temporary
	// directory that Stop removes.
	Dir string
	// Port to listen on; 0, a free one.
	Port int
	// Log, if set, receives Azurite's console output.
	Log io.Writer
}

// Server is a running Azurite blob service.
type Server struct {
	opts    Options
	ownDir  bool
	port    int
	scheme  string
	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	stopped bool
	stdin   io.Closer // held open while Azurite should run
}

// Bin is the azurite-blob executable that `make azurite` installs:
// $AZURITE_BLOB if set, else tools/azurite/node_modules/.bin/azurite-blob
// in the module the working directory is in.
func Bin() (string, error) {
	if p := os.Getenv("AZURITE_BLOB"); p != "" {
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, "tools", "azurite", "node_modules", ".bin", "azurite-blob")
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("azurite is not installed (%s): run `make azurite`, which installs the version tools/azurite/package-lock.json pins with npm ci", p)
			}
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("azurite: not inside the provider's Go module, and AZURITE_BLOB is not set")
		}
		dir = parent
	}
}

// Start starts Azurite's blob service and returns once it listens, or when
// ctx ends (a cold start on a busy machine takes seconds).
func Start(ctx context.Context, opts Options) (*Server, error) {
	s := &Server{opts: opts, port: opts.Port, scheme: "http"}
	if opts.CertFile != "" {
		s.scheme = "https"
	}
	if s.opts.Dir == "" {
		dir, err := os.MkdirTemp("", "azurite")
		if err != nil {
			return nil, err
		}
		s.opts.Dir, s.ownDir = dir, true
	} else if err := os.MkdirAll(s.opts.Dir, 0o755); err != nil {
		return nil, err
	}
	if err := s.start(ctx); err != nil {
		if s.ownDir {
			os.RemoveAll(s.opts.Dir)
		}
		return nil, err
	}
	return s, nil
}

var listening = regexp.MustCompile(`successfully listens on https?://[^:\s]+:(\d+)`)

func (s *Server) start(ctx context.Context) error {
	bin, err := Bin()
	if err != nil {
		return err
	}
	args := []string{
		"--blobHost", "127.0.0.1", "--blobPort", strconv.Itoa(s.port),
		"--location", s.opts.Dir,
		"--disableTelemetry",
		// Clients send the newest x-ms-version they know; the service
		// version Azurite implements may be older.
		"--skipApiVersionCheck",
	}
	if s.opts.CertFile != "" {
		args = append(args, "--cert", s.opts.CertFile, "--key", s.opts.KeyFile)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = s.opts.Dir
	// Azurite exits when this process does: its standard input is a pipe
	// that only this process holds open, and exit-with-parent.js ends node
	// when it closes (a crash or a test binary killed by its timeout runs
	// no Stop).
	watch := filepath.Join(filepath.Dir(filepath.Dir(filepath.Dir(bin))), "exit-with-parent.js")
	if _, err := os.Stat(watch); err == nil {
		cmd.Env = append(os.Environ(), "NODE_OPTIONS=--require "+watch)
		stdin, err := cmd.StdinPipe()
		if err != nil {
			return err
		}
		s.stdin = stdin
	}
	// Its own process group, so that Stop ends node and anything it started.
	ownGroup(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", bin, err)
	}
	exited := make(chan struct{})
	ports := make(chan int, 1)
	var console bytesTail
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			console.add(line)
			if s.opts.Log != nil {
				fmt.Fprintln(s.opts.Log, "azurite:", line)
			}
			if m := listening.FindStringSubmatch(line); m != nil {
				p, _ := strconv.Atoi(m[1])
				select {
				case ports <- p:
				default:
				}
			}
		}
		_ = cmd.Wait()
		close(exited)
	}()
	select {
	case p := <-ports:
		s.mu.Lock()
		s.port, s.cmd, s.exited, s.stopped = p, cmd, exited, false
		s.mu.Unlock()
		return nil
	case <-exited:
		return fmt.Errorf("azurite exited before it listened:\n%s", console.String())
	case <-ctx.Done():
		signalGroup(cmd, true)
		<-exited
		return fmt.Errorf("azurite did not listen before %w:\n%s", ctx.Err(), console.String())
	}
}

// BlobEndpoint is the development account's blob endpoint,
// e.g. https://127.0.0.1:41234/devstoreaccount1.
func (s *Server) BlobEndpoint() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return (&url.URL{Scheme: s.scheme, Host: "127.0.0.1:" + strconv.Itoa(s.port), Path: "/" + AccountName}).String()
}

// Halt stops Azurite as an operator would (SIGTERM, so that it saves its
// metadata; SIGKILL if it has not exited within 30 s), keeping its
// workspace: Restart brings the same containers and blobs back on the same
// port. Requests in flight meanwhile fail as they would against a Storage
// outage.
func (s *Server) Halt() {
	s.mu.Lock()
	cmd, exited, stopped := s.cmd, s.exited, s.stopped
	s.stopped = true
	s.mu.Unlock()
	if cmd == nil || stopped {
		return
	}
	signalGroup(cmd, false)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		signalGroup(cmd, true)
		<-exited
	}
	if s.stdin != nil {
		_ = s.stdin.Close()
	}
}

// Restart starts Azurite again after Halt (halting it first if need be),
// on the same port and workspace.
func (s *Server) Restart(ctx context.Context) error {
	s.Halt()
	return s.start(ctx)
}

// Stop ends Azurite and removes the workspace Start made.
func (s *Server) Stop() {
	s.Halt()
	if s.ownDir {
		os.RemoveAll(s.opts.Dir)
	}
}

// bytesTail keeps the last lines of Azurite's console for error messages.
type bytesTail struct {
	mu    sync.Mutex
	lines []string
}

func (b *bytesTail) add(line string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lines = append(b.lines, line)
	if len(b.lines) > 40 {
		b.lines = b.lines[len(b.lines)-40:]
	}
}

func (b *bytesTail) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out string
	for _, l := range b.lines {
		out += l + "\n"
	}
	return out
}
