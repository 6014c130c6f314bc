"""An LMS on loopback: an LTI 1.3 platform built on ``lti1p3platform`` (PyPI), in a process of its own.

    python -m tests.lms.lti_platform CONFIG.json

The tests register it with the tool like a real LMS (issuer, client id,
deployment, its keys at /jwks) and drive it as a teacher's browser would:

* ``GET /emne/<course>/lenke?...`` is a link in the LMS course: the platform
  starts the third-party-initiated login at the tool (``lti1p3platform``'s
  OIDC login). Who follows it, with which roles, to which target, and
  whether the launch should be spoilt (to prove the tool refuses it) are
  given in the query, as the LMS would know them.
* ``GET|POST /authorize`` answers the tool's authentication request with the
  library's signed id_token, posted to the tool by an auto-submitting form.
* ``GET /emne/<course>/side?...`` is the LMS page that shows the tool in an
  iframe; with ``lagring=1`` it offers LTI platform storage (``lti.put_data``
  / ``lti.get_data`` over postMessage) to the tool.
* ``POST /token`` gives access tokens for client credentials with the tool's
  signed assertion, checked against the tool's published keys; ``GET
  /nrps/<course>`` lists the course's members (Names and Role Provisioning).
* ``POST /deep-link-return`` checks a deep-linking response with the library
  and shows what was added to the course.
"""
from __future__ import annotations

import base64
import json
import secrets
import sys
import typing as t
from urllib.parse import quote_plus

from flask import Flask, Response, abort, jsonify, redirect, request
from markupsafe import escape
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.membership import Context
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request, TRequest
from lti1p3platform.service_connector import NamesRoleProvisioningService

LAUNCH_FORM = """<!DOCTYPE html><html lang="nb"><head><meta charset="utf-8"><title>LMS</title></head><body>
<form method="post" action="{action}" id="lti-launch">
<input type="hidden" name="id_token" value="{id_token}"><input type="hidden" name="state" value="{state}">
<button type="submit">Fortsett</button></form>
<script>document.getElementById("lti-launch").submit();</script></body></html>"""

# The LMS course page: the tool in an iframe, and LTI platform storage when asked for.
COURSE_PAGE = """<!DOCTYPE html><html lang="nb"><head><meta charset="utf-8"><title>Personalrommet</title></head>
<body><h1>Personalrommet</h1>
<iframe id="tool" name="tool" title="Kompetanseportalen" src="{src}" width="800" height="900"></iframe>
<script>
var toolOrigin = {tool_origin};
var stored = {{}};
var answered = {{put: 0, get: 0}};
window.addEventListener("message", function (event) {{
  var data = event.data || {{}};
  if (event.origin !== toolOrigin || !{storage}) {{ return; }}
  if (data.subject === "lti.put_data") {{
    stored[data.key] = data.value;
    answered.put += 1;
    event.source.postMessage({{subject: "lti.put_data.response", message_id: data.message_id, key: data.key,
                              value: data.value}}, event.origin);
  }} else if (data.subject === "lti.get_data") {{
    answered.get += stored[data.key] === undefined ? 0 : 1;
    event.source.postMessage({{subject: "lti.get_data.response", message_id: data.message_id, key: data.key,
                              value: stored[data.key]}}, event.origin);
  }}
}});
</script></body></html>"""

ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"


class FlaskRequest(Request):
    def build_metadata(self, req) -> TRequest:
        return {"method": req.method, "form_data": req.form.to_dict(), "get_data": req.args.to_dict(),
                "headers": req.headers, "content_type": req.content_type, "path": req.path,
                "json": req.get_json(silent=True)}


def make_platform(config: dict) -> Flask:
    app = Flask(__name__)
    launches: dict[str, dict] = {}
    added: list[dict] = []
    tool = config["tool"]

    def registration(deployment_id: str | None = None) -> Registration:
        return (Registration().set_iss(config["issuer"]).set_client_id(config["client_id"])
                .set_deployment_id(deployment_id or config["deployment_id"])
                .set_launch_url(tool["launch_url"]).set_oidc_login_url(tool["login_url"])
                .set_deeplink_launch_url(tool["launch_url"]).set_tool_key_set_url(tool["jwks_url"])
                .set_platform_public_key(config["public_key_pem"]).set_platform_private_key(config["private_key_pem"]))

    class PlatformConf(LTI1P3PlatformConfAbstract):
        def init_platform_config(self, **kwargs: t.Any) -> None:
            self._deployment = kwargs.get("deployment_id")

        def get_registration_by_params(self, **kwargs: t.Any) -> Registration:
            return registration(self._deployment)

    class Login(OIDCLoginAbstract):
        def set_lti_message_hint(self, **kwargs: t.Any) -> None:
            self._lti_message_hint = kwargs["hint"]

        def get_redirect(self, url: str):
            return redirect(url)

    class Launch(LTIAdvantageMessageLaunchAbstract):
        spec: dict = {}

        def get_launch_message(self, include_extra_claims: bool = True) -> dict[str, t.Any]:
            message = super().get_launch_message(include_extra_claims)
            if self.spec.get("aud"):
                message["aud"] = message["azp"] = self.spec["aud"]
            return message

        def render_launch_form(self, launch_data: dict[str, t.Any], **kwargs: t.Any):
            id_token = launch_data["id_token"]
            if self.spec.get("tamper"):
                header, payload, signature = id_token.split(".")
                claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
                claims["sub"] = "someone-else"
                payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
                id_token = f"{header}.{payload}.{signature}"
            return Response(LAUNCH_FORM.format(action=escape(launch_data["launch_url"]), id_token=escape(id_token),
                                               state=escape(launch_data["state"])), mimetype="text/html")

    fetched = {"jwks": 0}

    @app.get("/jwks")
    def jwks():
        fetched["jwks"] += 1
        return jsonify({"keys": registration().get_jwks()})

    @app.get("/hentet")
    def how_often_fetched():
        return jsonify(fetched)

    def _spec_from(args) -> dict:
        return {"user": args.get("bruker", "teacher-1"), "name": args.get("navn", ""), "email": args.get("epost", ""),
                "roles": [r if "#" in r or "/" in r else ROLE + r for r in args.get("roller", "Instructor").split(",")],
                "target": args.get("maal", tool["target_url"]), "custom": json.loads(args.get("custom", "{}")),
                "message": args.get("melding", "resource"), "document_target": args.get("visning", "iframe"),
                "deployment": args.get("deployment"), "aud": args.get("aud"), "tamper": args.get("tukle") == "1",
                "expired": args.get("utlopt") == "1", "iss": args.get("iss"), "storage": args.get("lagring") == "1"}

    @app.get("/emne/<course>/lenke")
    def course_link(course: str):
        spec = _spec_from(request.args) | {"course": course}
        hint = secrets.token_urlsafe(12)
        launches[hint] = spec
        login = Login(FlaskRequest(request), PlatformConf(deployment_id=spec["deployment"]))
        login.set_lti_message_hint(hint=hint)
        login.set_launch_url(spec["target"])
        url = login.prepare_preflight_url(spec["user"])
        if spec["iss"]:
            url = url.replace("iss=" + quote_plus(config["issuer"]), "iss=" + quote_plus(spec["iss"]))
        if spec["storage"]:
            url += "&lti_storage_target=_parent"
        return redirect(url)

    @app.get("/emne/<course>/side")
    def course_page(course: str):
        src = f"/emne/{course}/lenke?{request.query_string.decode()}"
        tool_origin = json.dumps(tool["origin"])
        return Response(COURSE_PAGE.format(src=escape(src), tool_origin=tool_origin,
                                           storage="true" if request.args.get("lagring") == "1" else "false"),
                        mimetype="text/html")

    @app.route("/authorize", methods=["GET", "POST"])
    def authorize():
        params = request.values
        spec = launches.get(params.get("lti_message_hint", ""))
        if spec is None or params.get("login_hint") != spec["user"] or params.get("redirect_uri") != tool["launch_url"]:
            abort(400)
        launch = Launch(FlaskRequest(request), PlatformConf(deployment_id=spec["deployment"]))
        launch.spec = spec
        launch.set_user_data(spec["user"], spec["roles"], full_name=spec["name"] or None,
                             email_address=spec["email"] or None)
        launch.set_resource_link_claim(f"link-{spec['course']}", title="Kompetanseportalen")
        launch.set_launch_context_claim(spec["course"], context_title=f"Personalrommet {spec['course']}")
        launch.set_launch_presentation_claim(document_target=spec["document_target"])
        launch.set_launch_url(spec["target"])
        if spec["custom"]:
            launch.set_custom_parameters_claim(spec["custom"])
        launch.set_nrps(f"{config['issuer']}/nrps/{spec['course']}")
        if spec["message"] == "deeplink":
            launch.set_dl(f"{config['issuer']}/deep-link-return", title="Legg til", accept_types={"ltiResourceLink"},
                          extra_data={"course": spec["course"]})
        if spec["expired"]:
            launch.set_id_token_expiration(-600)
        return launch.lti_launch()

    @app.post("/token")
    def token():
        conf = PlatformConf()
        conf.get_registration()
        try:
            return jsonify(conf.get_access_token(request.form.to_dict()))
        except Exception as err:  # the library's refusals: answer as an OAuth error
            return jsonify({"error": "invalid_client", "error_description": str(err)}), 400

    @app.get("/nrps/<course>")
    def members(course: str):
        class Members(NamesRoleProvisioningService):
            def get_member_data_page(self, page=1, limit=None, role=None, since=None, **kwargs):
                return {"content": [dict(m) for m in config["members"]], "has_next": False, "next": None}

            def get_context_by_id(self):
                return Context(id=course, label=course, title=f"Personalrommet {course}")

        conf = PlatformConf()
        conf.get_registration()
        service = Members(FlaskRequest(request), conf, f"{config['issuer']}/nrps/{course}")
        answer = service.handle_resp(service.handle_get_members)
        body = answer.result if 200 <= answer.code < 300 else {"error": answer.message}
        return Response(json.dumps(body), status=answer.code, mimetype=answer.media_type or "application/json")

    @app.post("/deep-link-return")
    def deep_link_return():
        conf = PlatformConf()
        conf.get_registration()
        try:
            items = conf.validate_deeplinking_resp(request.form.to_dict())
        except Exception as err:  # the library refused the response
            return Response(f"<p>Avvist: {escape(err)}</p>", status=400, mimetype="text/html")
        added.extend(items)
        rows = "".join(f'<li><a href="{escape(i["url"])}">{escape(i["title"])}</a></li>' for i in items)
        return Response(f"<h1>Lagt til i emnet</h1><ul>{rows}</ul>", mimetype="text/html")

    @app.get("/lagt-til")
    def what_was_added():
        return jsonify(added)

    return app


if __name__ == "__main__":
    settings = json.loads(open(sys.argv[1]).read())
    make_platform(settings).run(host="127.0.0.1", port=settings["port"], threaded=True)
