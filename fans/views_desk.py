from django.http import HttpResponse


def ticket(request, ticket_id):  # replaced by the desk pages
    return HttpResponse("ticket")
