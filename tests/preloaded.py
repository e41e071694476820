"""What the tests' fork server (tests/cli.py) imports and computes once, so that each process forked
from it starts as a long-lived process would: the heavy libraries, what litellm imports on its first
chat completion with tools (its MCP hand-off, the OpenAI client, httpcore: about 1.8 s of CPU in
every process otherwise), the tokenizer its token counter loads on first use (0.65 s), Chroma's
client implementation (0.25 s), scikit-learn (the tests that fit the step model on a memory), the
step policy's shipped model (`shipped_model`, cached per process), and agentroute's own modules.

agentroute's modules would otherwise be compiled from source in every forked process (this machine
sets PYTHONDONTWRITEBYTECODE=1, so no .pyc is ever written): about 0.15 s of CPU for each `agentroute
run`. They read nothing from the environment or the terminal when imported (rich's console, for one,
is created on first use), so a forked process behaves as one that imported them itself. Left out:
the doors to optional libraries (agentroute.integrations: LangChain, mini-swe-agent; agentroute.serve:
FastAPI), which import them when imported, and the scripts run inside the sandbox."""

import gc
import importlib
import pkgutil
from types import ModuleType

import chromadb  # noqa: F401
import chromadb.api.rust  # noqa: F401
import httpcore  # noqa: F401
import langchain_core.messages  # noqa: F401
import langgraph.graph  # noqa: F401
import litellm.litellm_core_utils.default_encoding  # noqa: F401 - loads tiktoken's cl100k_base
import litellm.llms.openai.openai  # noqa: F401
import litellm.proxy.openai_files_endpoints.common_utils  # noqa: F401
import litellm.responses.mcp.chat_completions_handler  # noqa: F401
import litellm.responses.mcp.litellm_proxy_mcp_handler  # noqa: F401
import openai.resources  # noqa: F401
import pydantic  # noqa: F401
import rich.console  # noqa: F401
import sklearn.linear_model  # noqa: F401
import typer  # noqa: F401

import agentroute
from agentroute.policies.learned import shipped_model

shipped_model()

_NOT_PRELOADED = {"agentroute.integrations", "agentroute.serve", "agentroute.swe.jail", "agentroute.swe.edit_file"}


def _import_tree(package: ModuleType) -> None:
    for module in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
        if module.name not in _NOT_PRELOADED:
            imported = importlib.import_module(module.name)
            if module.ispkg:
                _import_tree(imported)


_import_tree(agentroute)

# As a preforking server does: the forked processes' full garbage collections skip what is loaded
# here (about 700,000 objects: 0.5 s of CPU per collection otherwise) and leave its pages shared.
gc.freeze()
