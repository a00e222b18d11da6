// Command pulumi-language-nodejs is the Node.js language host this project's Pulumi CLI uses.
//
// The upstream language host (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3)
// is not published as a tagged Go module, so the Go module proxy cannot serve it. This one
// implements what the project needs of the LanguageRuntime gRPC service of
// github.com/pulumi/pulumi/sdk/v3: it runs programs through @pulumi/pulumi/cmd/run and Node.js
// plugins (providers) through @pulumi/pulumi/cmd/run-plugin, both resolved from the program's own
// node_modules, so the JavaScript side behaves as it does with the official binary.
//
// Served: Handshake, GetPluginInfo, GetRequiredPackages, Run, RunPlugin, InstallDependencies (npm)
// and About. Everything else answers Unimplemented, which the CLI tolerates where it matters:
// policy packs, yarn/pnpm/bun, parameterized packages, code generation and `pulumi new` prompts
// are outside this project.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Exit code with which @pulumi/pulumi's run scripts say "the error was already shown to the user".
const exitCodeErrorAlreadyReported = 32

func main() {
	// The engine passes the engine address as the last positional argument, after options given as
	// `-name=value` flags (older engines passed runtime options that way). Unknown flags are ignored.
	flags := map[string]string{}
	var positional []string
	for _, a := range os.Args[1:] {
		if strings.HasPrefix(a, "-") && len(positional) == 0 {
			k, v, ok := strings.Cut(strings.TrimLeft(a, "-"), "=")
			if !ok {
				v = "true"
			}
			flags[k] = v
			continue
		}
		positional = append(positional, a)
	}

	logging.InitLogging(false, 0, false)
	if t := flags["tracing"]; t != "" {
		cmdutil.InitTracing("pulumi-language-nodejs", "pulumi-language-nodejs", t)
	}

	h := &host{flagOptions: flags, tracing: flags["tracing"]}
	if len(positional) > 0 {
		h.engineAddress = positional[len(positional)-1]
	}

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start language host RPC server: %w", err))
	}
	// The engine reads the port from the first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host RPC stopped serving: %w", err))
	}
}

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	mu            sync.Mutex
	engineAddress string
	tracing       string
	flagOptions   map[string]string
}

func (h *host) engine() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.engineAddress
}

// ---------------------------------------------------------------------------------------------
// Runtime options (Pulumi.yaml `runtime.options`).

type runtimeOptions struct {
	typescript bool
	tsconfig   string
	nodeargs   []string
}

func (h *host) options(info *pulumirpc.ProgramInfo) (runtimeOptions, error) {
	o := runtimeOptions{typescript: true}
	get := func(k string) (string, bool) {
		if info != nil && info.GetOptions() != nil {
			if v, ok := info.GetOptions().AsMap()[k]; ok {
				return fmt.Sprint(v), true
			}
		}
		v, ok := h.flagOptions[k]
		return v, ok
	}
	if v, ok := get("typescript"); ok {
		if b, err := strconv.ParseBool(v); err == nil {
			o.typescript = b
		}
	}
	o.tsconfig, _ = get("tsconfig")
	if v, ok := get("nodeargs"); ok {
		o.nodeargs = strings.Fields(v)
	}
	if pm, ok := get("packagemanager"); ok && pm != "" && pm != "auto" && pm != "npm" {
		return o, fmt.Errorf("runtime option packagemanager: %q is not supported by this language host; use npm", pm)
	}
	return o, nil
}

// programDir is the directory holding the program (and, normally, its node_modules).
func programDir(pi *pulumirpc.ProgramInfo, fallback string) string {
	for _, d := range []string{pi.GetProgramDirectory(), fallback, pi.GetRootDirectory()} {
		if d != "" {
			return d
		}
	}
	wd, _ := os.Getwd()
	return wd
}

// ---------------------------------------------------------------------------------------------
// Node helpers.

func nodeBinary() (string, error) {
	p, err := exec.LookPath("node")
	if err != nil {
		return "", fmt.Errorf("could not find node on the $PATH: %w", err)
	}
	return p, nil
}

// resolveModule finds `spec` (e.g. "@pulumi/pulumi/cmd/run") with Node's own require.resolve,
// starting from dir.
func resolveModule(node, dir, spec string) (string, error) {
	script := "process.stdout.write(require.resolve(process.argv[1], {paths: [process.argv[2]]}))"
	cmd := exec.Command(node, "-e", script, spec, dir)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || len(out) == 0 {
		return "", fmt.Errorf("could not resolve %s from %s: %v %s", spec, dir, err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// exitCode is the process's exit status, or -1 when it did not exit normally (signalled, not started).
func exitCode(err error) (code int, signaled bool) {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return -1, false
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return -1, true
	}
	return ee.ExitCode(), false
}

// streamWriter forwards a child process's output to a gRPC stream.
type streamWriter func([]byte) error

func (f streamWriter) Write(p []byte) (int, error) {
	if err := f(append([]byte{}, p...)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// ---------------------------------------------------------------------------------------------
// RPC methods.

func (h *host) Handshake(
	_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	h.engineAddress = req.GetEngineAddress()
	h.mu.Unlock()
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	opts, err := h.options(req.GetInfo())
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	node, err := nodeBinary()
	if err != nil {
		return nil, err
	}
	dir := programDir(req.GetInfo(), req.GetPwd())

	runPath := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH")
	if runPath == "" {
		runPath, err = resolveModule(node, dir, "@pulumi/pulumi/cmd/run")
		if err != nil {
			logging.V(3).Infof("resolving run script: %v", err)
			return &pulumirpc.RunResponse{Error: "It looks like the Pulumi SDK has not been installed. " +
				"Have you run npm install?"}, nil
		}
	}

	args := append(append([]string{}, opts.nodeargs...), runPath)
	add := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k+"="+v)
		}
	}
	pwd := req.GetPwd()
	if pwd == "" {
		pwd = dir
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", h.engine())
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	add("stack", req.GetStack())
	add("root-directory", req.GetInfo().GetRootDirectory())
	add("pwd", pwd)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	if req.GetParallel() > 0 {
		add("parallel", strconv.Itoa(int(req.GetParallel())))
	}
	add("tracing", h.tracing)
	program := req.GetProgram()
	if program == "" {
		program = "."
	}
	args = append(append(args, program), req.GetArgs()...)

	config := req.GetConfig()
	if config == nil {
		config = map[string]string{}
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	configJSON, err := json.Marshal(config)
	if err != nil {
		return nil, fmt.Errorf("serializing config: %w", err)
	}
	secretJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, fmt.Errorf("serializing config secret keys: %w", err)
	}
	env := append(os.Environ(),
		"PULUMI_CONFIG="+string(configJSON),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretJSON),
		"PULUMI_NODEJS_TYPESCRIPT="+strconv.FormatBool(opts.typescript),
	)
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}

	logging.V(5).Infof("language host launching: %s %s", node, strings.Join(args, " "))
	cmd := exec.Command(node, args...)
	cmd.Dir = pwd
	cmd.Env = env
	// The engine forwards our stdout/stderr to the user.
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("Problem executing program (could not run language executor): %v", err),
		}, nil
	}
	// If the engine gives up on the request, stop the program.
	stop := context.AfterFunc(ctx, func() { _ = cmd.Process.Kill() })
	defer stop()
	if err := cmd.Wait(); err != nil {
		code, signaled := exitCode(err)
		switch {
		case signaled:
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited unexpectedly: %v", err)}, nil
		case code == exitCodeErrorAlreadyReported:
			return &pulumirpc.RunResponse{Bail: true}, nil
		case code >= 0:
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", code)}, nil
		default:
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("Problem executing program (could not run language executor): %v", err),
			}, nil
		}
	}
	return &pulumirpc.RunResponse{}, nil
}

// RunPlugin runs a Node.js plugin (a provider written with @pulumi/pulumi/provider, next to a
// PulumiPlugin.yaml) through @pulumi/pulumi/cmd/run-plugin, streaming its output and exit code.
func (h *host) RunPlugin(
	req *pulumirpc.RunPluginRequest, server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse],
) error {
	if req.GetKind() == "analyzer" {
		return errors.New("policy packs are not supported by this language host")
	}
	opts, err := h.options(req.GetInfo())
	if err != nil {
		return err
	}
	node, err := nodeBinary()
	if err != nil {
		return err
	}
	dir := programDir(req.GetInfo(), req.GetPwd())
	script, err := resolveModule(node, dir, "@pulumi/pulumi/cmd/run-plugin")
	if err != nil {
		return fmt.Errorf("it looks like the plugin's dependencies are not installed; try running npm install in %q: %w",
			dir, err)
	}
	args := append(append([]string{}, opts.nodeargs...), script, dir)
	args = append(args, req.GetArgs()...)

	cmd := exec.CommandContext(server.Context(), node, args...)
	cmd.Dir = req.GetPwd()
	if cmd.Dir == "" {
		cmd.Dir = dir
	}
	env := req.GetEnv()
	if len(env) == 0 {
		env = os.Environ()
	}
	cmd.Env = append(append([]string{}, env...), "PULUMI_NODEJS_TYPESCRIPT="+strconv.FormatBool(opts.typescript))

	var sendMu sync.Mutex
	send := func(r *pulumirpc.RunPluginResponse) error {
		sendMu.Lock()
		defer sendMu.Unlock()
		return server.Send(r)
	}
	cmd.Stdout = streamWriter(func(p []byte) error {
		return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: p}})
	})
	cmd.Stderr = streamWriter(func(p []byte) error {
		return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: p}})
	})

	code := 0
	if err := cmd.Run(); err != nil {
		c, signaled := exitCode(err)
		if c < 0 && !signaled {
			return fmt.Errorf("running plugin: %w", err)
		}
		code = c
	}
	return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(code)}})
}

// InstallDependencies runs `npm install` in the program directory: npm is the one package manager
// this host supports, so the choice never depends on which lockfiles happen to exist.
func (h *host) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest,
	server grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	if _, err := h.options(req.GetInfo()); err != nil {
		return err
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return fmt.Errorf("could not find npm on the $PATH: %w", err)
	}
	cmd := exec.CommandContext(server.Context(), npm, "install")
	cmd.Dir = programDir(req.GetInfo(), req.GetDirectory())
	var sendMu sync.Mutex
	send := func(r *pulumirpc.InstallDependenciesResponse) error {
		sendMu.Lock()
		defer sendMu.Unlock()
		return server.Send(r)
	}
	cmd.Stdout = streamWriter(func(p []byte) error { return send(&pulumirpc.InstallDependenciesResponse{Stdout: p}) })
	cmd.Stderr = streamWriter(func(p []byte) error { return send(&pulumirpc.InstallDependenciesResponse{Stderr: p}) })
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm install failed: %w", err)
	}
	return nil
}

// About reports the Node.js runtime; the CLI records it in every update's metadata.
func (h *host) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := nodeBinary()
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("running node --version: %w", err)
	}
	return &pulumirpc.AboutResponse{
		Executable: node,
		Version:    strings.TrimPrefix(strings.TrimSpace(string(out)), "v"),
	}, nil
}

// ---------------------------------------------------------------------------------------------
// Required packages: every installed npm package that declares `"pulumi": {"resource": true}`.

type packageJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Pulumi  *struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

func readPackageJSON(path string) (*packageJSON, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p packageJSON
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	return &p, nil
}

// walkNodeModules calls fn for each package installed under dir/node_modules, nested node_modules
// included, following each symlink once (npm link, workspaces).
func walkNodeModules(dir string, fn func(pkg *packageJSON)) {
	seen := map[string]bool{}
	var visitModules func(nm string)
	visitPkg := func(pkgDir string) {
		real, err := filepath.EvalSymlinks(pkgDir)
		if err != nil || seen[real] {
			return
		}
		seen[real] = true
		if pkg, err := readPackageJSON(filepath.Join(real, "package.json")); err == nil {
			fn(pkg)
		}
		visitModules(filepath.Join(real, "node_modules"))
	}
	visitModules = func(nm string) {
		entries, _ := os.ReadDir(nm)
		for _, e := range entries {
			name := e.Name()
			switch {
			case strings.HasPrefix(name, "."):
			case strings.HasPrefix(name, "@"):
				scoped, _ := os.ReadDir(filepath.Join(nm, name))
				for _, s := range scoped {
					visitPkg(filepath.Join(nm, name, s.Name()))
				}
			default:
				visitPkg(filepath.Join(nm, name))
			}
		}
	}
	visitModules(filepath.Join(dir, "node_modules"))
}

// pluginName is the resource plugin's name: `pulumi.name`, else the package name without its scope
// (`@pulumi/aws` → `aws`).
func pluginName(pkg *packageJSON) string {
	if pkg.Pulumi.Name != "" {
		return pkg.Pulumi.Name
	}
	if name, ok := strings.CutPrefix(pkg.Name, "@pulumi/"); ok {
		return name
	}
	return strings.TrimPrefix(pkg.Name, "@")
}

func (h *host) GetRequiredPackages(
	_ context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	byKey := map[string]*pulumirpc.PackageDependency{}
	walkNodeModules(programDir(req.GetInfo(), ""), func(pkg *packageJSON) {
		if pkg.Pulumi == nil || !pkg.Pulumi.Resource {
			return
		}
		version := pkg.Pulumi.Version
		if version == "" {
			version = pkg.Version
		}
		if version != "" && !strings.HasPrefix(version, "v") {
			version = "v" + version
		}
		dep := &pulumirpc.PackageDependency{
			Name: pluginName(pkg), Kind: "resource", Version: version, Server: pkg.Pulumi.Server,
		}
		byKey[dep.Name+"@"+dep.Version] = dep
	})
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys) // a stable answer, whatever order the directories were read in
	packages := make([]*pulumirpc.PackageDependency, 0, len(keys))
	for _, k := range keys {
		packages = append(packages, byKey[k])
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: packages}, nil
}

var _ pulumirpc.LanguageRuntimeServer = (*host)(nil)
