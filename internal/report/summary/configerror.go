package summary

import "strings"

// RenderConfigError returns the summary for a gate that stopped at its
// configuration (exit 2) and triggered nothing: a heading that says so and
// one list item per problem in msg (one per line), escaped like every
// other text, so the job summary explains the red step on its own.
func RenderConfigError(msg string) string {
	var b strings.Builder
	b.WriteString("## ⚠️ DocketQA: configuration error, nothing was triggered\n\n")
	for _, line := range strings.Split(msg, "\n") {
		if t := cell(line); t != "" {
			b.WriteString("- " + t + "\n")
		}
	}
	b.WriteString("\nFix the setting named above; `docketqa-gate --help` lists every setting.\n")
	return b.String()
}
