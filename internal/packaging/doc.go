// Package packaging holds no code, only tests of the files that ship the
// gate but that Go never compiles: action.yml, the setup action and the
// install script, the Dockerfile and its .dockerignore, and the GitHub
// workflows. Most of them cannot be exercised without GitHub's runners or
// a Docker engine, so these tests check what can be checked statically:
// that action.yml agrees with the settings and outputs the code knows,
// that the image can serve as a GitHub action, GitLab job image and
// Jenkins stage image, and that the workflows are pinned and
// least-privileged. The install script and the setup action's step do run,
// against a release served on loopback.
package packaging
