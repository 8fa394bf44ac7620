// Package packaging holds no code, only tests of the files that ship the
// gate but that Go never compiles: action.yml, the Dockerfile and its
// .dockerignore, and the GitHub workflows. None of them can be exercised
// without GitHub's runners or a Docker engine, so these tests check what
// can be checked statically: that action.yml agrees with the settings and
// outputs the code knows, that the image can serve as a GitHub action,
// GitLab job image and Jenkins stage image, and that the workflows are
// pinned and least-privileged.
package packaging
