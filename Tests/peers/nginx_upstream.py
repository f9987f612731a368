"""nginx in front of several lecternd nodes, for the scripts that run them (Tests/reliability/several_nodes.py,
Benchmarks/nodes.py): one config writer, so both test the same shape of deployment (docs/deploy/several-nodes.md).
Everything nginx writes (pid, logs, temp files) stays in `folder`; as root, workers run as root too."""
import os


def write_conf(folder, port, servers, location, workers="1", connections=1024, keepalive=16, listen="",
               http_extra=""):
    """Writes `folder`/nginx.conf: an upstream `lectern` of `servers` ("127.0.0.1:8080 max_fails=1 …" lines),
    a server on 127.0.0.1:`port` whose `location /` holds `location` (proxy_pass and its options); returns its
    path. Start it with `nginx -p folder -c path -e folder/error.log`."""
    temp = os.path.join(folder, "temp")
    os.makedirs(temp, exist_ok=True)
    upstream = "".join(f"    server {server};\n" for server in servers)
    conf = f"""{"user root;" if os.geteuid() == 0 else ""}
daemon off;
master_process on;
worker_processes {workers};
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections {connections}; }}
http {{
  access_log off;
  client_body_temp_path {temp}/body;
  proxy_temp_path {temp}/proxy;
  fastcgi_temp_path {temp}/fastcgi;
  uwsgi_temp_path {temp}/uwsgi;
  scgi_temp_path {temp}/scgi;
{http_extra}  upstream lectern {{
{upstream}    keepalive {keepalive};
  }}
  server {{
    listen 127.0.0.1:{port}{listen};
    location / {{
      proxy_pass http://lectern;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
{location}    }}
  }}
}}
"""
    path = os.path.join(folder, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    return path
