from django.http import HttpResponse


def inbox(request):  # replaced by the inbox pages
    return HttpResponse("inbox")


def item(request, item_id):  # replaced by the inbox pages
    return HttpResponse("item")
