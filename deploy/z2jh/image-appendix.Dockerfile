# Appended by repo2docker (--appendix) after binder/ is applied: nbgitpuller, so that `adlab hub-link`
# links pull the course into each student's home. The z2jh hub runs JupyterHub 5, like
# repo2docker's jupyterhub-singleuser 5.*.
RUN ${NB_PYTHON_PREFIX}/bin/python -m pip install --no-cache-dir "nbgitpuller>=1.2"
