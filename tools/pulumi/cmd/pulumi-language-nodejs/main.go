// Command pulumi-language-nodejs is a small Node.js language host for the Pulumi CLI.
//
// The upstream language host (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3)
// is not published as a tagged Go module, so the Go module proxy cannot serve it. This is a
// self-contained replacement written against the LanguageRuntime gRPC interface of
// github.com/pulumi/pulumi/sdk/v3. It launches programs through the scripts that ship in the
// @pulumi/pulumi npm package (cmd/run, cmd/run-plugin, cmd/run-policy-pack), resolved from the
// program's own node_modules, so the JavaScript side behaves as it does with the official binary.
//
// Supported: Handshake, GetPluginInfo, GetRequiredPlugins, GetRequiredPackages, Run, RunPlugin,
// InstallDependencies, About, GetProgramDependencies, RuntimeOptionsPrompts. Code generation
// (GenerateProgram/Project/Package, Pack, Template) is not: `pulumi convert`, `pulumi new` templating
// and `pulumi package gen-sdk` for Node.js are out of scope for this project.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Exit code with which @pulumi/pulumi's run scripts say "the error was already shown to the user".
const exitCodeErrorAlreadyReported = 32

func main() {
	// Flags are parsed leniently: the engine passes the engine address as the last positional
	// argument, and older engines passed runtime options as `-name=value` flags. Unknown flags are
	// ignored rather than fatal.
	flags := map[string]string{}
	var positional []string
	for _, a := range os.Args[1:] {
		if strings.HasPrefix(a, "-") && len(positional) == 0 {
			kv := strings.TrimLeft(a, "-")
			k, v, ok := strings.Cut(kv, "=")
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
	typescript     bool
	tsconfig       string
	nodeargs       []string
	packagemanager string
}

func (h *host) options(info *pulumirpc.ProgramInfo) runtimeOptions {
	o := runtimeOptions{typescript: true}
	get := func(k string) (any, bool) {
		if info != nil && info.GetOptions() != nil {
			if v, ok := info.GetOptions().AsMap()[k]; ok {
				return v, true
			}
		}
		if v, ok := h.flagOptions[k]; ok {
			return v, true
		}
		return nil, false
	}
	if v, ok := get("typescript"); ok {
		switch t := v.(type) {
		case bool:
			o.typescript = t
		case string:
			if b, err := strconv.ParseBool(t); err == nil {
				o.typescript = b
			}
		}
	}
	if v, ok := get("tsconfig"); ok {
		o.tsconfig = fmt.Sprint(v)
	}
	if v, ok := get("nodeargs"); ok {
		o.nodeargs = strings.Fields(fmt.Sprint(v))
	}
	if v, ok := get("packagemanager"); ok {
		o.packagemanager = fmt.Sprint(v)
	}
	return o
}

// programDir returns the directory holding the program (and, normally, its node_modules).
func programDir(info *pulumiInfo) string {
	if info.programDir != "" {
		return info.programDir
	}
	if info.rootDir != "" {
		return info.rootDir
	}
	wd, _ := os.Getwd()
	return wd
}

type pulumiInfo struct{ rootDir, programDir, entryPoint string }

func infoOf(pi *pulumirpc.ProgramInfo, fallbackDir string) *pulumiInfo {
	i := &pulumiInfo{}
	if pi != nil {
		i.rootDir, i.programDir, i.entryPoint = pi.GetRootDirectory(), pi.GetProgramDirectory(), pi.GetEntryPoint()
	}
	if i.programDir == "" {
		i.programDir = fallbackDir
	}
	return i
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

// resolveModule finds `spec` (e.g. "@pulumi/pulumi/cmd/run") the way Node's require.resolve does,
// starting from dir. An override from the environment wins.
func resolveModule(node, dir, spec string) (string, error) {
	script := "process.stdout.write(require.resolve(process.argv[1], {paths: [process.argv[2]]}))"
	cmd := exec.Command(node, "-e", script, spec, dir)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err == nil && len(out) > 0 {
		return string(out), nil
	}
	// Fallback: walk up looking for node_modules/<spec> (a directory with index.js).
	for d := dir; ; d = filepath.Dir(d) {
		cand := filepath.Join(d, "node_modules", filepath.FromSlash(spec))
		for _, c := range []string{cand + ".js", filepath.Join(cand, "index.js")} {
			if st, serr := os.Stat(c); serr == nil && !st.IsDir() {
				return c, nil
			}
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return "", fmt.Errorf("could not resolve %s from %s: %v %s", spec, dir, err, strings.TrimSpace(stderr.String()))
}

func exitError(err error) (code int, signaled bool) {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok {
			if ws.Signaled() {
				return -1, true
			}
			return ws.ExitStatus(), false
		}
		return ee.ExitCode(), false
	}
	return -1, false
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

func (h *host) RuntimeOptionsPrompts(
	context.Context, *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := infoOf(req.GetInfo(), req.GetPwd())
	opts := h.options(req.GetInfo())
	node, err := nodeBinary()
	if err != nil {
		return nil, err
	}
	dir := programDir(info)

	runPath := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH")
	if runPath == "" {
		runPath, err = resolveModule(node, dir, "@pulumi/pulumi/cmd/run")
		if err != nil {
			logging.V(3).Infof("resolving run script: %v", err)
			return &pulumirpc.RunResponse{Error: "It looks like the Pulumi SDK has not been installed. " +
				"Have you run npm install or yarn install?"}, nil
		}
	}

	args := append([]string{}, opts.nodeargs...)
	args = append(args, runPath)
	add := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k+"="+v)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", h.engine())
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	add("stack", req.GetStack())
	add("root-directory", info.rootDir)
	pwd := req.GetPwd()
	if pwd == "" {
		pwd = dir
	}
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
	args = append(args, program)
	args = append(args, req.GetArgs()...)

	config := req.GetConfig()
	if config == nil {
		config = map[string]string{}
	}
	configJSON, err := json.Marshal(config)
	if err != nil {
		return nil, fmt.Errorf("serializing config: %w", err)
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
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
		code, signaled := exitError(err)
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

// RunPlugin runs a Node.js plugin: a provider/converter/tool via @pulumi/pulumi/cmd/run-plugin, or a
// policy pack (kind "analyzer") via @pulumi/pulumi/cmd/run-policy-pack.
func (h *host) RunPlugin(
	req *pulumirpc.RunPluginRequest, server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse],
) error {
	info := infoOf(req.GetInfo(), req.GetPwd())
	opts := h.options(req.GetInfo())
	node, err := nodeBinary()
	if err != nil {
		return err
	}
	dir := programDir(info)

	args := append([]string{}, opts.nodeargs...)
	if req.GetKind() == "analyzer" {
		script, err := resolveModule(node, dir, "@pulumi/pulumi/cmd/run-policy-pack")
		if err != nil {
			return fmt.Errorf("it looks like the policy pack's dependencies are not installed; "+
				"try running npm install or yarn install in %q: %w", dir, err)
		}
		// run-policy-pack expects <engine-address> <program>.
		engine := h.engine()
		rest := req.GetArgs()
		if len(rest) > 0 {
			engine, rest = rest[0], rest[1:]
		}
		args = append(args, script, engine, dir)
		args = append(args, rest...)
	} else {
		script, err := resolveModule(node, dir, "@pulumi/pulumi/cmd/run-plugin")
		if err != nil {
			return fmt.Errorf("it looks like the plugin's dependencies are not installed; "+
				"try running npm install or yarn install in %q: %w", dir, err)
		}
		args = append(args, script, dir)
		args = append(args, req.GetArgs()...)
	}

	cmd := exec.CommandContext(server.Context(), node, args...)
	cmd.Dir = req.GetPwd()
	if cmd.Dir == "" {
		cmd.Dir = dir
	}
	env := req.GetEnv()
	if len(env) == 0 {
		env = os.Environ()
	}
	cmd.Env = append(append([]string{}, env...),
		"PULUMI_NODEJS_TYPESCRIPT="+strconv.FormatBool(opts.typescript))

	var sendMu sync.Mutex
	send := func(r *pulumirpc.RunPluginResponse) error {
		sendMu.Lock()
		defer sendMu.Unlock()
		return server.Send(r)
	}
	cmd.Stdout = writerFunc(func(p []byte) error {
		return send(&pulumirpc.RunPluginResponse{
			Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: append([]byte{}, p...)},
		})
	})
	cmd.Stderr = writerFunc(func(p []byte) error {
		return send(&pulumirpc.RunPluginResponse{
			Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: append([]byte{}, p...)},
		})
	})

	code := 0
	if err := cmd.Run(); err != nil {
		c, signaled := exitError(err)
		if c < 0 && !signaled {
			return fmt.Errorf("running plugin: %w", err)
		}
		code = c
	}
	return send(&pulumirpc.RunPluginResponse{
		Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(code)},
	})
}

type writerFunc func([]byte) error

func (f writerFunc) Write(p []byte) (int, error) {
	if err := f(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// InstallDependencies runs the configured package manager's install in the program directory.
func (h *host) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest,
	server grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	info := infoOf(req.GetInfo(), req.GetDirectory())
	opts := h.options(req.GetInfo())
	pm := opts.packagemanager
	if pm == "" || pm == "auto" {
		pm = "npm"
		dir := programDir(info)
		for lock, name := range map[string]string{
			"yarn.lock": "yarn", "pnpm-lock.yaml": "pnpm", "bun.lock": "bun", "bun.lockb": "bun",
		} {
			if _, err := os.Stat(filepath.Join(dir, lock)); err == nil {
				pm = name
			}
		}
	}
	bin, err := exec.LookPath(pm)
	if err != nil {
		return fmt.Errorf("could not find %s on the $PATH: %w", pm, err)
	}
	cmd := exec.CommandContext(server.Context(), bin, "install")
	cmd.Dir = programDir(info)
	var sendMu sync.Mutex
	send := func(r *pulumirpc.InstallDependenciesResponse) error {
		sendMu.Lock()
		defer sendMu.Unlock()
		return server.Send(r)
	}
	cmd.Stdout = writerFunc(func(p []byte) error {
		return send(&pulumirpc.InstallDependenciesResponse{Stdout: append([]byte{}, p...)})
	})
	cmd.Stderr = writerFunc(func(p []byte) error {
		return send(&pulumirpc.InstallDependenciesResponse{Stderr: append([]byte{}, p...)})
	})
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s install failed: %w", pm, err)
	}
	return nil
}

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
// Dependency discovery.

type packageJSON struct {
	Name            string            `json:"name"`
	Version         string            `json:"version"`
	Dependencies    map[string]string `json:"dependencies"`
	DevDependencies map[string]string `json:"devDependencies"`
	Pulumi          *struct {
		Resource         bool   `json:"resource"`
		Name             string `json:"name"`
		Version          string `json:"version"`
		Server           string `json:"server"`
		Parameterization *struct {
			Name    string `json:"name"`
			Version string `json:"version"`
			Value   []byte `json:"value"` // base64 in JSON
		} `json:"parameterization"`
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

// walkNodeModules calls fn for each package.json of a package installed under dir/node_modules,
// including nested node_modules, following symlinks once (pnpm, npm link).
func walkNodeModules(dir string, fn func(path string, pkg *packageJSON)) {
	seen := map[string]bool{}
	var visitPkg func(pkgDir string)
	var visitModules func(nm string)
	visitModules = func(nm string) {
		entries, err := os.ReadDir(nm)
		if err != nil {
			return
		}
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, ".") {
				continue
			}
			p := filepath.Join(nm, name)
			if strings.HasPrefix(name, "@") {
				scoped, err := os.ReadDir(p)
				if err != nil {
					continue
				}
				for _, s := range scoped {
					visitPkg(filepath.Join(p, s.Name()))
				}
				continue
			}
			visitPkg(p)
		}
	}
	visitPkg = func(pkgDir string) {
		real, err := filepath.EvalSymlinks(pkgDir)
		if err != nil || seen[real] {
			return
		}
		seen[real] = true
		if pkg, err := readPackageJSON(filepath.Join(real, "package.json")); err == nil {
			fn(filepath.Join(real, "package.json"), pkg)
		}
		visitModules(filepath.Join(real, "node_modules"))
	}
	visitModules(filepath.Join(dir, "node_modules"))
}

func pluginVersion(v string) string {
	if v != "" && !strings.HasPrefix(v, "v") {
		return "v" + v
	}
	return v
}

func pluginName(pkg *packageJSON) string {
	if pkg.Pulumi.Name != "" {
		return pkg.Pulumi.Name
	}
	name := pkg.Name
	if strings.HasPrefix(name, "@pulumi/") {
		return strings.TrimPrefix(name, "@pulumi/")
	}
	return strings.TrimPrefix(name, "@")
}

func requiredPackages(dir string) []*pulumirpc.PackageDependency {
	byKey := map[string]*pulumirpc.PackageDependency{}
	walkNodeModules(dir, func(path string, pkg *packageJSON) {
		if pkg.Pulumi == nil || !pkg.Pulumi.Resource {
			return
		}
		version := pkg.Pulumi.Version
		if version == "" {
			version = pkg.Version
		}
		dep := &pulumirpc.PackageDependency{
			Name:    pluginName(pkg),
			Kind:    "resource",
			Version: pluginVersion(version),
			Server:  pkg.Pulumi.Server,
		}
		if p := pkg.Pulumi.Parameterization; p != nil {
			dep.Parameterization = &pulumirpc.PackageParameterization{
				Name: p.Name, Version: p.Version, Value: p.Value,
			}
		}
		key := dep.Name + "@" + dep.Version
		if dep.Parameterization != nil {
			key += "/" + dep.Parameterization.Name + "@" + dep.Parameterization.Version
		}
		byKey[key] = dep
	})
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]*pulumirpc.PackageDependency, 0, len(keys))
	for _, k := range keys {
		out = append(out, byKey[k])
	}
	return out
}

func (h *host) GetRequiredPackages(
	_ context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{
		Packages: requiredPackages(programDir(infoOf(req.GetInfo(), ""))),
	}, nil
}

func (h *host) GetRequiredPlugins(
	_ context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	dir := programDir(infoOf(req.GetInfo(), req.GetProgram()))
	var plugins []*pulumirpc.PluginDependency
	for _, p := range requiredPackages(dir) {
		if p.Parameterization != nil {
			continue // parameterized packages cannot be expressed as plain plugins
		}
		plugins = append(plugins, &pulumirpc.PluginDependency{
			Name: p.Name, Kind: p.Kind, Version: p.Version, Server: p.Server,
		})
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

func (h *host) GetProgramDependencies(
	_ context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	dir := programDir(infoOf(req.GetInfo(), req.GetPwd()))
	root, err := readPackageJSON(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, status.Errorf(codes.FailedPrecondition, "reading package.json: %v", err)
	}
	var deps []*pulumirpc.DependencyInfo
	if req.GetTransitiveDependencies() {
		walkNodeModules(dir, func(_ string, pkg *packageJSON) {
			deps = append(deps, &pulumirpc.DependencyInfo{Name: pkg.Name, Version: pkg.Version})
		})
	} else {
		names := map[string]bool{}
		for n := range root.Dependencies {
			names[n] = true
		}
		for n := range root.DevDependencies {
			names[n] = true
		}
		for n := range names {
			v := ""
			if pkg, err := readPackageJSON(filepath.Join(dir, "node_modules", filepath.FromSlash(n), "package.json")); err == nil {
				v = pkg.Version
			} else if spec, ok := root.Dependencies[n]; ok {
				v = spec
			} else {
				v = root.DevDependencies[n]
			}
			deps = append(deps, &pulumirpc.DependencyInfo{Name: n, Version: v})
		}
	}
	sort.Slice(deps, func(i, j int) bool {
		if deps[i].Name != deps[j].Name {
			return deps[i].Name < deps[j].Name
		}
		return deps[i].Version < deps[j].Version
	})
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

// Compile-time checks.
var (
	_ pulumirpc.LanguageRuntimeServer = (*host)(nil)
	_ io.Writer                       = writerFunc(nil)
)
