#!/usr/bin/env bash
# adlab on The Littlest JupyterHub 2.0, on one server: run as root after TLJH's installer (README.md).
# Installs adlab with its classroom extra into the students' environment, sets the per-student
# memory and CPU limits measured in docs/scaling.md and the idle culler, and GitHub sign-in over
# HTTPS. The values come from the environment, so no secret is written into this file:
#   HUB_DOMAIN  the hub's DNS name (its A record points at this server)
#   ADMIN_EMAIL for Let's Encrypt          INSTRUCTOR  the instructor's GitHub login (hub admin)
#   GITHUB_ORG  the organisation whose members may sign in (or ORG:TEAM)
#   GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET  of a GitHub OAuth app whose callback URL is
#               https://HUB_DOMAIN/hub/oauth_callback
#   ADLAB       what to install (default: the course repository on GitHub; or file:///path/to/a/clone)
set -euo pipefail
for name in HUB_DOMAIN ADMIN_EMAIL INSTRUCTOR GITHUB_ORG GITHUB_CLIENT_ID GITHUB_CLIENT_SECRET; do
    [ -n "${!name:-}" ] || { echo "install.sh: set $name first (see the comment at the top of this file)." >&2; exit 2; }
done
ADLAB="${ADLAB:-git+https://github.com/adlab-course/adlab}"

apt-get install -y graphviz  # Graphviz's dot draws the lessons' graphs
# Into the students' environment; no --upgrade, so TLJH's JupyterHub 5 stays (adlab asks for >=5).
/opt/tljh/user/bin/python -m pip install "adlab[classroom] @ $ADLAB"

tljh-config set limits.memory 768M  # a student's server and up to three lessons' kernels
tljh-config set limits.cpu 1
tljh-config set services.cull.enabled true
tljh-config set services.cull.timeout 3600  # stop a server after an hour without activity
tljh-config set services.cull.every 300
tljh-config set user_environment.default_app jupyterlab

tljh-config set https.enabled true
tljh-config set https.letsencrypt.email "$ADMIN_EMAIL"
tljh-config add-item https.letsencrypt.domains "$HUB_DOMAIN"

tljh-config add-item users.admin "$INSTRUCTOR"
tljh-config set auth.GitHubOAuthenticator.client_id "$GITHUB_CLIENT_ID"
tljh-config set auth.GitHubOAuthenticator.client_secret "$GITHUB_CLIENT_SECRET"
tljh-config set auth.GitHubOAuthenticator.oauth_callback_url "https://$HUB_DOMAIN/hub/oauth_callback"
tljh-config add-item auth.GitHubOAuthenticator.allowed_organizations "$GITHUB_ORG"
tljh-config add-item auth.GitHubOAuthenticator.scope read:org
tljh-config set auth.type oauthenticator.github.GitHubOAuthenticator

# nbgrader's tools for the instructor only (docs/teaching.md, "nbgrader's tools for instructors only"):
# every server but the instructors' group's reads a settings folder that disables them.
STUDENT_JUPYTER=/opt/tljh/user/etc/adlab-student-jupyter  # in the users' environment: every user can read it
JUPYTER_CONFIG_DIR=$STUDENT_JUPYTER /opt/tljh/user/bin/jupyter labextension disable --level=user @jupyter/nbgrader
JUPYTER_CONFIG_DIR=$STUDENT_JUPYTER /opt/tljh/user/bin/jupyter labextension lock --level=user @jupyter/nbgrader
echo '{"ServerApp": {"jpserver_extensions": {"nbgrader.server_extensions.formgrader": false, "nbgrader.server_extensions.course_list": false, "nbgrader.server_extensions.assignment_list": false, "nbgrader.server_extensions.validate_assignment": false}}}' > "$STUDENT_JUPYTER/jupyter_server_config.json"
mkdir -p /opt/tljh/config/jupyterhub_config.d
cat > /opt/tljh/config/jupyterhub_config.d/adlab-instructors.py <<CONFIG
c.JupyterHub.load_groups = {"instructors": {"users": ["$INSTRUCTOR"]}}
c.Spawner.environment.update({"JUPYTER_CONFIG_PATH": "$STUDENT_JUPYTER"})
c.Spawner.group_overrides = {"instructors": {"groups": ["instructors"], "spawner_override": {"environment": {"JUPYTER_CONFIG_PATH": None}}}}
CONFIG

tljh-config reload proxy
tljh-config reload hub
