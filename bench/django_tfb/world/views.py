"""The six test types, the ordinary Django way (the same queries as examples/tfb)."""
import random

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render

from .models import Fortune, World

MAX_QUERIES = 500
WORLD_ROWS = 10000
EXTRA_FORTUNE = "Additional fortune added at request time."


def _random_id():
    return random.randint(1, WORLD_ROWS)


def _queries(request):
    """`queries` clamped to 1..500; anything not an integer is 1."""
    try:
        n = int(request.GET.get("queries", 1))
    except ValueError:
        return 1
    return min(max(n, 1), MAX_QUERIES)


def _as_dict(world):
    return {"id": world.id, "randomNumber": world.randomnumber}


def json(request):
    return JsonResponse({"message": "Hello, World!"})


def plaintext(request):
    return HttpResponse("Hello, World!", content_type="text/plain")


def db(request):
    return JsonResponse(_as_dict(World.objects.get(pk=_random_id())))


def queries(request):
    worlds = [World.objects.get(pk=_random_id()) for _ in range(_queries(request))]
    return JsonResponse([_as_dict(w) for w in worlds], safe=False)


def fortunes(request):
    fortunes = list(Fortune.objects.all())
    fortunes.append(Fortune(id=0, message=EXTRA_FORTUNE))
    fortunes.sort(key=lambda f: f.message)
    return render(request, "fortunes.html", {"fortunes": fortunes})


def updates(request):
    worlds = [World.objects.get(pk=_random_id()) for _ in range(_queries(request))]
    for world in worlds:
        world.randomnumber = _random_id()
    # One UPDATE in its own transaction; the rows in key order, so that concurrent
    # requests lock them in the same order.
    World.objects.bulk_update(sorted(worlds, key=lambda w: w.id), ["randomnumber"])
    return JsonResponse([_as_dict(w) for w in worlds], safe=False)
