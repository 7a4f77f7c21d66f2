// kg-kustomize-server runs `kustomize build` (and `kustomize version`) many times in one
// process, for flux-kg's render stage (loaders/build_server.py).
//
// Why: a `kustomize build` whose kustomization patches a custom resource (Flux's
// spec.patches on HelmReleases, in most repositories) parses kustomize's built-in
// OpenAPI schema, ~90 ms and ~50 MB, before any work; as one process per build that
// is paid on every Flux Kustomization. Here it is paid once. kustomize-controller does
// the same: it links kustomize's library and builds in-process, one build at a time.
//
// It is the kustomize CLI's own build command (sigs.k8s.io/kustomize/kustomize/v5
// commands/build), made anew for each request, so flags, defaults, output and error
// text are the CLI's.
//
// Protocol, one JSON value a line: a request is the argument list of a kustomize
// command line without the program name (["build", "--load-restrictor", "...", DIR] or
// ["version"]); the answer is {"stdout": ..., "stderr": ..., "exit": 0 or 1}, what the
// CLI would have printed and its exit status. Requests run one at a time (kustomize's
// library is not safe for concurrent builds). End of input ends the process.
//
// With arguments it runs them once, as the CLI: `kg-kustomize-server version`,
// `kg-kustomize-server build DIR`.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/spf13/cobra"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/kustomize/v5/commands/build"
	"sigs.k8s.io/kustomize/kustomize/v5/commands/version"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/openapi"
)

type answer struct {
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
	Exit   int    `json:"exit"`
}

// command is what `kustomize` itself would run for args, writing to out and errs.
func command(args []string, out, errs io.Writer) *cobra.Command {
	root := &cobra.Command{Use: konfig.ProgramName, SilenceUsage: true}
	buildCmd := build.NewCmdBuild(filesys.MakeFsOnDisk(), build.MakeHelp(konfig.ProgramName, "build"), out)
	build.AddFunctionAlphaEnablementFlags(buildCmd.Flags())
	root.AddCommand(buildCmd, version.NewCmdVersion(out))
	root.SetArgs(args)
	root.SetOut(out)
	root.SetErr(errs)
	return root
}

func run(args []string, defaultSchema string) answer {
	// everything the CLI prints to stderr, in its order: kustomize's deprecation notes
	// (written to os.Stderr), its log warnings, then cobra's "Error: ..."
	errs, finish := captureStderr()
	var out bytes.Buffer
	log.SetOutput(errs)
	exit := 0
	if err := command(args, &out, errs).Execute(); err != nil {
		exit = 1
	}
	// a kustomization's `openapi:` field replaces the process-wide schema; a CLI run
	// ends there, this process must not carry it into the next build
	if openapi.GetSchemaVersion() != defaultSchema {
		openapi.ResetOpenAPI()
	}
	return answer{Stdout: out.String(), Stderr: finish(), Exit: exit}
}

// captureStderr points os.Stderr at a pipe until finish, which returns what was written.
func captureStderr() (io.Writer, func() string) {
	r, w, err := os.Pipe()
	if err != nil {
		var buf bytes.Buffer
		return &buf, buf.String
	}
	saved := os.Stderr
	os.Stderr = w
	var buf bytes.Buffer
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(&buf, r)
		close(done)
	}()
	return w, func() string {
		os.Stderr = saved
		_ = w.Close()
		<-done
		_ = r.Close()
		return buf.String()
	}
}

func main() {
	defaultSchema := openapi.GetSchemaVersion()
	if len(os.Args) > 1 {
		a := run(os.Args[1:], defaultSchema)
		os.Stdout.WriteString(a.Stdout)
		os.Stderr.WriteString(a.Stderr)
		os.Exit(a.Exit)
	}
	in := bufio.NewReader(os.Stdin)
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	for {
		line, err := in.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var args []string
			a := answer{}
			if jerr := json.Unmarshal(line, &args); jerr != nil {
				a = answer{Stderr: fmt.Sprintf("Error: kg-kustomize-server: bad request: %v\n", jerr), Exit: 2}
			} else {
				a = run(args, defaultSchema)
			}
			if werr := enc.Encode(a); werr != nil {
				os.Exit(1)
			}
		}
		if err != nil {
			return // end of input: kg is done
		}
	}
}
